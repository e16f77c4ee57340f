//! The directives nginx knows where they are, grouped two ways: by scope and name (what
//! a block sets, what it inherits) and by name alone (every occurrence). Pure data,
//! built once from what the model's forward pass found, in vectors the model makes
//! before that pass ([`Room`]) and has faulted in meanwhile; touches nothing else.
//!
//! Both groupings are counting sorts into flat vectors: on 70,000 lines the hash maps
//! they replace held 7 MB, one random cache line and one hashed name per directive,
//! read again at every inherited lookup (a third of the model's time, and most of the
//! time of the rules that walk scopes outwards).

use super::Scope;
use crate::nginx::ast::NodeId;
use crate::nginx::grammar::NameId;

/// One directive nginx knows where it is: the scope it is set in (as a slot, see
/// [`Sets::slot`]), its name and its node.
pub struct Entry {
    pub slot: u32,
    pub name: NameId,
    pub id: NodeId,
}

pub struct Sets {
    /// Slots below this are blocks (the slot is the block's node), the rest root files.
    nodes: usize,
    /// Where each slot's groups start in `groups`; one more ends the last.
    slot_groups: Vec<u32>,
    /// One group per name set in a slot, sorted by name within the slot: the name and
    /// where its nodes start in `ids` (the next group's start ends them; a last group
    /// ends the vector). Grouped so that a lookup searches the few names a block sets,
    /// not its directives: `http` holds thousands of `server` and `upstream` blocks.
    groups: Vec<(NameId, u32)>,
    /// The nodes, slot by slot, group by group, in reading order within a group.
    ids: Vec<NodeId>,
    /// Where each name's occurrences start in `by_name`; one more ends the last.
    name_starts: Vec<u32>,
    /// Every entry's node, by name, then in reading order.
    by_name: Vec<NodeId>,
}

/// Turns the counts of a counting sort (key `k`'s at `[k + 1]`, `[0]` zero) into start
/// offsets in place: the items with key `k` then start at `[k]` and end at `[k + 1]`.
fn counts_to_starts(counts: &mut [u32]) {
    for k in 1..counts.len() {
        counts[k] += counts[k - 1];
    }
}

/// The vectors of the groups of a tree, made before the model's forward pass finds the
/// entries, sized for the most entries the tree can have (one per node), so that their
/// pages can be faulted in meanwhile on another core: 2 MB on 70,000 lines, over a
/// millisecond of faults on the model's thread when made at the end.
pub struct Room {
    nodes: usize,
    roots: usize,
    at_slot: Vec<u32>,
    keys: Vec<u64>,
    by_name: Vec<NodeId>,
    groups: Vec<(NameId, u32)>,
    ids: Vec<NodeId>,
}

impl Room {
    /// Room for a tree of `nodes` nodes and `roots` root files.
    pub fn new(nodes: usize, roots: usize) -> Room {
        Room {
            nodes,
            roots,
            at_slot: Vec::with_capacity(Sets::slots(nodes, roots) + 1),
            keys: Vec::with_capacity(nodes),
            by_name: Vec::with_capacity(nodes),
            groups: Vec::with_capacity(nodes + 1),
            ids: Vec::with_capacity(nodes),
        }
    }

    /// Where the vectors' pages are, in the order [`Sets::new`] fills them.
    pub fn spares(&mut self) -> Vec<crate::cores::Spare> {
        use crate::cores::Spare;
        vec![
            Spare::of(self.at_slot.spare_capacity_mut()),
            Spare::of(self.keys.spare_capacity_mut()),
            Spare::of(self.by_name.spare_capacity_mut()),
            Spare::of(self.groups.spare_capacity_mut()),
            Spare::of(self.ids.spare_capacity_mut()),
        ]
    }
}

impl Sets {
    /// A node at no root's file top level is counted in root 0 (see the model).
    fn slots(nodes: usize, roots: usize) -> usize {
        nodes + roots.max(1)
    }

    /// Groups `entries` (in reading order) of the tree `room` was made for, with names
    /// numbered below `names`, in the vectors of `room`.
    pub fn new(room: Room, names: usize, entries: &[Entry]) -> Sets {
        let Room {
            nodes,
            roots,
            mut at_slot,
            mut keys,
            mut by_name,
            mut groups,
            mut ids,
        } = room;
        let slots = Sets::slots(nodes, roots);
        // One vector per slot serves in turn as the slots' counts, their starts, the
        // cursors of the counting sort and the start of their groups: a vector each
        // was 1 MB of fresh pages on 70,000 lines, faulted in on the model's thread.
        at_slot.resize(slots + 1, 0);
        let mut name_starts = vec![0u32; names + 1];
        for e in entries {
            at_slot[e.slot as usize + 1] += 1;
            name_starts[usize::from(e.name) + 1] += 1;
        }
        counts_to_starts(&mut at_slot);
        counts_to_starts(&mut name_starts);

        // Name in the high half, node in the low: sorting a slot's keys orders them by
        // name, then in reading order.
        keys.resize(entries.len(), 0);
        by_name.resize(entries.len(), NodeId(0));
        let mut next_of_name = name_starts.clone();
        for e in entries {
            let at = &mut at_slot[e.slot as usize];
            keys[*at as usize] = (u64::from(e.name) << 32) | u64::from(e.id.0);
            *at += 1;
            let at = &mut next_of_name[usize::from(e.name)];
            by_name[*at as usize] = e.id;
            *at += 1;
        }
        // Each cursor now stands at its slot's end: the next slot's start.
        let mut start = 0;
        for cell in &mut at_slot[..slots] {
            let end = *cell;
            *cell = groups.len() as u32;
            let slot = &mut keys[start as usize..end as usize];
            slot.sort_unstable();
            let mut last = None;
            for (at, key) in (start..).zip(slot.iter()) {
                let name = (key >> 32) as NameId;
                if last != Some(name) {
                    groups.push((name, at));
                    last = Some(name);
                }
            }
            start = end;
        }
        at_slot[slots] = groups.len() as u32;
        groups.push((0, keys.len() as u32));
        ids.extend(keys.iter().map(|k| NodeId(*k as u32)));
        Sets {
            nodes,
            slot_groups: at_slot,
            groups,
            ids,
            name_starts,
            by_name,
        }
    }

    /// The slot of a scope: a block's node index, or past the nodes for a root file.
    pub fn slot(nodes: usize, scope: Scope) -> u32 {
        match scope {
            Scope::Block(id) => id.0,
            Scope::Root(i) => (nodes + i) as u32,
        }
    }

    fn scope_of(&self, slot: usize) -> Scope {
        if slot < self.nodes {
            Scope::Block(NodeId(slot as u32))
        } else {
            Scope::Root(slot - self.nodes)
        }
    }

    /// The nodes of group `g`.
    fn group(&self, g: usize) -> &[NodeId] {
        &self.ids[self.groups[g].1 as usize..self.groups[g + 1].1 as usize]
    }

    /// The occurrences of `name` set directly in `scope`, in reading order.
    pub fn in_scope(&self, scope: Scope, name: NameId) -> &[NodeId] {
        let slot = Sets::slot(self.nodes, scope) as usize;
        let (Some(&first), Some(&end)) =
            (self.slot_groups.get(slot), self.slot_groups.get(slot + 1))
        else {
            return &[];
        };
        let (first, end) = (first as usize, end as usize);
        match self.groups[first..end].binary_search_by_key(&name, |g| g.0) {
            Ok(g) => self.group(first + g),
            Err(_) => &[],
        }
    }

    /// Every occurrence of `name`, in reading order.
    pub fn named(&self, name: NameId) -> &[NodeId] {
        let i = usize::from(name);
        match (self.name_starts.get(i), self.name_starts.get(i + 1)) {
            (Some(&start), Some(&end)) => &self.by_name[start as usize..end as usize],
            _ => &[],
        }
    }

    /// Every group of occurrences of one name in one scope, scope by scope.
    pub fn groups(&self) -> impl Iterator<Item = (NameId, Scope, &[NodeId])> {
        self.slot_groups
            .windows(2)
            .enumerate()
            .flat_map(move |(slot, range)| {
                let scope = self.scope_of(slot);
                (range[0] as usize..range[1] as usize)
                    .map(move |g| (self.groups[g].0, scope, self.group(g)))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(slot: u32, name: NameId, id: u32) -> Entry {
        Entry {
            slot,
            name,
            id: NodeId(id),
        }
    }

    #[test]
    fn groups_by_scope_and_name_in_reading_order() {
        // Nodes 0..6; node 0 is a block, root file 0 is slot 6.
        let entries = [
            entry(6, 5, 0),
            entry(0, 9, 1),
            entry(0, 2, 2),
            entry(0, 9, 3),
            entry(6, 5, 4),
            entry(6, 1, 5),
        ];
        let sets = Sets::new(Room::new(6, 1), 10, &entries);
        let block = Scope::Block(NodeId(0));
        let root = Scope::Root(0);
        assert_eq!(sets.in_scope(block, 9), [NodeId(1), NodeId(3)]);
        assert_eq!(sets.in_scope(block, 2), [NodeId(2)]);
        assert_eq!(sets.in_scope(block, 5), []);
        assert_eq!(sets.in_scope(root, 5), [NodeId(0), NodeId(4)]);
        assert_eq!(sets.in_scope(Scope::Block(NodeId(3)), 9), []);
        // A scope past the tree (a root proxylint has no file for) holds nothing.
        assert_eq!(sets.in_scope(Scope::Root(7), 5), []);
        assert_eq!(sets.named(5), [NodeId(0), NodeId(4)]);
        assert_eq!(sets.named(9), [NodeId(1), NodeId(3)]);
        assert_eq!(sets.named(3), []);
        assert_eq!(sets.named(4000), []);
        let groups: Vec<_> = sets
            .groups()
            .map(|(n, s, ids)| (n, s, ids.to_vec()))
            .collect();
        assert_eq!(
            groups,
            [
                (2, block, vec![NodeId(2)]),
                (9, block, vec![NodeId(1), NodeId(3)]),
                (1, root, vec![NodeId(5)]),
                (5, root, vec![NodeId(0), NodeId(4)]),
            ]
        );
    }
}
