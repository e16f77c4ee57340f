//! The one interface through which loaders read configuration files: read a file,
//! list a directory, ask what a path is. [`Disk`] reads the real file system; [`Memory`]
//! holds a tree in memory (tests, and an editor's unsaved buffers laid over the disk
//! with [`Overlay`]).
//!
//! Dialect-neutral and small on purpose: it knows nothing of configurations, only of
//! paths and bytes. Paths are `Path`/`OsStr` throughout, so a file name that is not
//! UTF-8 is read like any other. Every implementation bounds what it hands out: no file
//! larger than [`MAX_FILE_SIZE`](crate::source::MAX_FILE_SIZE) is read whole.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use crate::source::MAX_FILE_SIZE;

/// What a path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    File,
    Dir,
    /// A symbolic link (only from [`Vfs::read_dir`], which does not follow links, as
    /// `readdir` reports them).
    Symlink,
    /// A device, a pipe, a socket.
    Other,
}

/// What [`Vfs::metadata`] tells about a path (links followed, as `stat` does).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Metadata {
    pub kind: FileKind,
    pub len: u64,
}

/// One entry of a directory listing, as `readdir` gives it (`.` and `..` left out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    pub name: OsString,
    /// The entry's own type: a link to a directory is a [`FileKind::Symlink`].
    pub kind: FileKind,
}

/// Read access to a file tree.
pub trait Vfs {
    /// The whole content of a regular file. A directory is an error (`EISDIR`), a file
    /// larger than [`MAX_FILE_SIZE`] too.
    fn read(&self, path: &Path) -> io::Result<Arc<[u8]>>;

    /// The entries of a directory, in no particular order.
    fn read_dir(&self, path: &Path) -> io::Result<Vec<DirEntry>>;

    /// What `path` is, links followed.
    fn metadata(&self, path: &Path) -> io::Result<Metadata>;

    /// A name for `path` that two spellings of the same file share (symbolic links and
    /// `..` resolved), for telling that a file is already being read.
    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf>;

    fn is_dir(&self, path: &Path) -> bool {
        self.metadata(path).is_ok_and(|m| m.kind == FileKind::Dir)
    }

    fn is_file(&self, path: &Path) -> bool {
        self.metadata(path).is_ok_and(|m| m.kind == FileKind::File)
    }

    fn exists(&self, path: &Path) -> bool {
        self.metadata(path).is_ok()
    }
}

/// The real file system.
#[derive(Debug, Clone, Copy, Default)]
pub struct Disk;

fn too_large() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!(
            "file is larger than {} MiB, more than any real configuration",
            MAX_FILE_SIZE >> 20
        ),
    )
}

fn kind_of(t: std::fs::FileType) -> FileKind {
    if t.is_symlink() {
        FileKind::Symlink
    } else if t.is_dir() {
        FileKind::Dir
    } else if t.is_file() {
        FileKind::File
    } else {
        FileKind::Other
    }
}

/// Files from this size have their buffer faulted in before they are read into it
/// (smaller ones have a page or a few: a call would cost what it saves).
const POPULATE_FROM_BYTES: usize = 64 << 10;

impl Vfs for Disk {
    fn read(&self, path: &Path) -> io::Result<Arc<[u8]>> {
        use std::io::Read;
        let file = std::fs::File::open(path)?;
        let meta = file.metadata()?;
        if meta.is_dir() {
            return Err(io::Error::from_raw_os_error(libc::EISDIR));
        }
        if meta.len() > MAX_FILE_SIZE {
            return Err(too_large());
        }
        // Servers read the size the file has when they open it: nothing from a device
        // or a pipe (/dev/zero would never end), and not what is appended meanwhile.
        // Read straight into the shared buffer: a vector turned into an `Arc` was copied
        // whole, into fresh pages (a tenth of reading a 1.8 MB configuration).
        let len = usize::try_from(meta.len()).map_err(|_| too_large())?;
        // SAFETY: zeroed bytes are valid `u8`s.
        let mut text: Arc<[u8]> = unsafe { Arc::<[u8]>::new_zeroed_slice(len).assume_init() };
        let Some(buf) = Arc::get_mut(&mut text) else {
            // A new `Arc` has no other owner.
            return Err(io::Error::other("shared buffer"));
        };
        if len >= POPULATE_FROM_BYTES {
            // Faulted in with one call: `read` faulting its pages one by one while it
            // copied cost 0.6 ms more on a 1.8 MB configuration (440 pages).
            crate::cores::populate(crate::cores::Spare::of(buf));
        }
        let mut filled = 0;
        let mut file = file;
        while filled < len {
            match file.read(&mut buf[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        if filled < len {
            // The file shrank since it was opened: what it holds now.
            return Ok(Arc::from(&buf[..filled]));
        }
        Ok(text)
    }

    fn read_dir(&self, path: &Path) -> io::Result<Vec<DirEntry>> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(path)? {
            let entry = entry?;
            let kind = entry.file_type().map_or(FileKind::Other, kind_of);
            out.push(DirEntry {
                name: entry.file_name(),
                kind,
            });
        }
        Ok(out)
    }

    fn metadata(&self, path: &Path) -> io::Result<Metadata> {
        let meta = std::fs::metadata(path)?;
        Ok(Metadata {
            kind: kind_of(meta.file_type()),
            len: meta.len(),
        })
    }

    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf> {
        std::fs::canonicalize(path)
    }
}

/// `path` made absolute against `/` and with `.` and `..` resolved by name (as APR's
/// `apr_filepath_merge` does: a `..` at the root stays at the root).
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::from("/");
    for c in path.components() {
        match c {
            Component::Normal(name) => out.push(name),
            Component::ParentDir => {
                out.pop();
            }
            Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
        }
    }
    out
}

#[derive(Debug, Clone)]
enum Node {
    File(Arc<[u8]>),
    Dir,
}

/// A file tree held in memory: absolute paths to contents. Directories exist when a
/// file below them does, or when added with [`Memory::add_dir`].
#[derive(Debug, Clone, Default)]
pub struct Memory {
    nodes: BTreeMap<PathBuf, Node>,
}

impl Memory {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a file and the directories above it.
    pub fn add_file(&mut self, path: impl AsRef<Path>, text: impl Into<Vec<u8>>) {
        let path = normalize(path.as_ref());
        if let Some(parent) = path.parent() {
            self.add_dir(parent);
        }
        self.nodes
            .insert(path, Node::File(Arc::from(text.into().into_boxed_slice())));
    }

    /// Adds a directory and the ones above it.
    pub fn add_dir(&mut self, path: impl AsRef<Path>) {
        let path = normalize(path.as_ref());
        for dir in path.ancestors() {
            self.nodes.entry(dir.to_path_buf()).or_insert(Node::Dir);
        }
    }

    fn node(&self, path: &Path) -> io::Result<&Node> {
        self.nodes
            .get(&normalize(path))
            .ok_or_else(|| io::Error::from_raw_os_error(libc::ENOENT))
    }
}

impl Vfs for Memory {
    fn read(&self, path: &Path) -> io::Result<Arc<[u8]>> {
        match self.node(path)? {
            Node::File(text) if text.len() as u64 > MAX_FILE_SIZE => Err(too_large()),
            Node::File(text) => Ok(Arc::clone(text)),
            Node::Dir => Err(io::Error::from_raw_os_error(libc::EISDIR)),
        }
    }

    fn read_dir(&self, path: &Path) -> io::Result<Vec<DirEntry>> {
        let dir = normalize(path);
        match self.node(&dir)? {
            Node::Dir => {}
            Node::File(_) => return Err(io::Error::from_raw_os_error(libc::ENOTDIR)),
        }
        // The children are the keys right below `dir`, in one range of the sorted map.
        let children = self
            .nodes
            .range(dir.clone()..)
            .skip(1)
            .take_while(|(p, _)| p.starts_with(&dir))
            .filter(|(p, _)| p.parent() == Some(dir.as_path()));
        Ok(children
            .filter_map(|(p, node)| {
                Some(DirEntry {
                    name: p.file_name()?.to_os_string(),
                    kind: match node {
                        Node::File(_) => FileKind::File,
                        Node::Dir => FileKind::Dir,
                    },
                })
            })
            .collect())
    }

    fn metadata(&self, path: &Path) -> io::Result<Metadata> {
        Ok(match self.node(path)? {
            Node::File(text) => Metadata {
                kind: FileKind::File,
                len: text.len() as u64,
            },
            Node::Dir => Metadata {
                kind: FileKind::Dir,
                len: 0,
            },
        })
    }

    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf> {
        let path = normalize(path);
        self.node(&path)?;
        Ok(path)
    }
}

/// Files held in memory laid over another tree: an editor's unsaved buffers over the
/// disk. A path the overlay holds is read from it; directory listings are the union.
pub struct Overlay<'a> {
    pub base: &'a dyn Vfs,
    pub top: Memory,
}

impl Vfs for Overlay<'_> {
    fn read(&self, path: &Path) -> io::Result<Arc<[u8]>> {
        match self.top.read(path) {
            Err(e) if e.raw_os_error() == Some(libc::ENOENT) => self.base.read(path),
            other => other,
        }
    }

    fn read_dir(&self, path: &Path) -> io::Result<Vec<DirEntry>> {
        let top = self.top.read_dir(path);
        match self.base.read_dir(path) {
            Ok(mut entries) => {
                for extra in top.unwrap_or_default() {
                    if !entries.iter().any(|e| e.name == extra.name) {
                        entries.push(extra);
                    }
                }
                Ok(entries)
            }
            Err(e) => top.map_err(|_| e),
        }
    }

    fn metadata(&self, path: &Path) -> io::Result<Metadata> {
        self.top
            .metadata(path)
            .or_else(|_| self.base.metadata(path))
    }

    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf> {
        self.base
            .canonicalize(path)
            .or_else(|_| self.top.canonicalize(path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::ffi::OsStrExt;

    #[test]
    fn memory_tree_lists_reads_and_stats() {
        let mut fs = Memory::new();
        fs.add_file("/etc/apache2/apache2.conf", "ServerName a\n");
        fs.add_file("/etc/apache2/sites-enabled/b.conf", "");
        fs.add_dir("/etc/apache2/conf-enabled");
        let mut names: Vec<_> = fs
            .read_dir(Path::new("/etc/apache2"))
            .expect("dir")
            .into_iter()
            .map(|e| (e.name.to_string_lossy().into_owned(), e.kind))
            .collect();
        names.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(
            names,
            vec![
                ("apache2.conf".to_string(), FileKind::File),
                ("conf-enabled".to_string(), FileKind::Dir),
                ("sites-enabled".to_string(), FileKind::Dir),
            ]
        );
        assert_eq!(
            &*fs.read(Path::new("/etc/apache2/./x/../apache2.conf"))
                .expect("read"),
            b"ServerName a\n"
        );
        assert!(fs.is_dir(Path::new("/etc")));
        assert!(!fs.exists(Path::new("/etc/nginx")));
        assert_eq!(
            fs.read(Path::new("/etc")).map_err(|e| e.raw_os_error()),
            Err(Some(libc::EISDIR))
        );
        assert_eq!(
            fs.read_dir(Path::new("/etc/apache2/apache2.conf"))
                .map_err(|e| e.raw_os_error()),
            Err(Some(libc::ENOTDIR))
        );
    }

    #[test]
    fn names_that_are_not_utf8_are_kept() {
        let mut fs = Memory::new();
        let name = std::ffi::OsStr::from_bytes(b"caf\xe9.conf");
        fs.add_file(Path::new("/d").join(name), "x");
        let entries = fs.read_dir(Path::new("/d")).expect("dir");
        assert_eq!(entries[0].name, name);
        assert!(fs.is_file(&Path::new("/d").join(name)));
    }

    #[test]
    fn disk_refuses_directories_and_lists_links_as_links() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(dir.path().join("sub")).expect("mkdir");
        std::os::unix::fs::symlink(dir.path().join("sub"), dir.path().join("link"))
            .expect("symlink");
        assert_eq!(
            Disk.read(dir.path()).map_err(|e| e.raw_os_error()),
            Err(Some(libc::EISDIR))
        );
        let mut entries = Disk.read_dir(dir.path()).expect("list");
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        assert_eq!(entries[0].kind, FileKind::Symlink);
        assert_eq!(entries[1].kind, FileKind::Dir);
        assert!(Disk.is_dir(&dir.path().join("link")));
    }

    #[test]
    fn overlay_reads_buffers_before_the_disk() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("a.conf"), "disk").expect("write");
        std::fs::write(dir.path().join("b.conf"), "disk b").expect("write");
        let mut top = Memory::new();
        top.add_file(dir.path().join("a.conf"), "buffer");
        top.add_file(dir.path().join("new.conf"), "unsaved");
        let fs = Overlay { base: &Disk, top };
        assert_eq!(&*fs.read(&dir.path().join("a.conf")).expect("a"), b"buffer");
        assert_eq!(&*fs.read(&dir.path().join("b.conf")).expect("b"), b"disk b");
        let mut names: Vec<_> = fs
            .read_dir(dir.path())
            .expect("list")
            .into_iter()
            .map(|e| e.name)
            .collect();
        names.sort();
        assert_eq!(names, ["a.conf", "b.conf", "new.conf"]);
    }

    #[test]
    fn normalize_resolves_dots_by_name() {
        assert_eq!(normalize(Path::new("/a/./b/../c//d/")), Path::new("/a/c/d"));
        assert_eq!(normalize(Path::new("/../x")), Path::new("/x"));
    }
}
