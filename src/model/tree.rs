//! The codec's span tree flattened into an arena in document (pre-)order:
//! the field tree's nodes, the byte table's rows and the hex view's colors
//! all index into it. Lookups are by node index (`usize`): a byte to its
//! deepest span, a node to its parent, its children, its subtree.

use erldist_codec::span::Text;
use erldist_codec::Span;

/// Colors the hex view cycles through for consecutive leaves (`f0`..`f5`).
pub const PALETTE: u8 = 6;

/// Tree items the starting expansion shows at most.
pub const OPEN_BUDGET: usize = 120;

/// What a node stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    /// A field: bytes with a value.
    Leaf,
    /// A heading over its children (a term, a header, a NAMES_RESP line).
    Group,
    /// The codec's `undecoded` leaf: bytes after an error.
    Undecoded,
}

/// One span of the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// The span's field name.
    pub field: Text,
    /// Absolute offset of the first byte.
    pub start: usize,
    /// Bytes covered.
    pub len: usize,
    /// 0 for the top-level spans.
    pub depth: usize,
    /// The enclosing group.
    pub parent: Option<usize>,
    /// One past the last node of this node's subtree (preorder index).
    pub end: usize,
    /// Leaf, group or undecoded bytes.
    pub kind: NodeKind,
    /// Color class of a leaf (`0..PALETTE`; groups take their first leaf's).
    pub color: u8,
    /// 1-based position among its siblings, and how many siblings (ARIA).
    pub pos: (usize, usize),
}

impl Node {
    /// One past the last byte.
    pub fn stop(&self) -> usize {
        self.start.saturating_add(self.len)
    }

    /// Whether the node has children.
    pub fn is_group(&self) -> bool {
        self.kind == NodeKind::Group
    }

    /// Whether byte `offset` is one of the node's.
    pub fn contains(&self, offset: usize) -> bool {
        offset >= self.start && offset < self.stop()
    }
}

/// The flattened tree.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SpanTree {
    /// Every span, in document order.
    pub nodes: Vec<Node>,
    /// The leaves' indices, in byte order.
    leaves: Vec<usize>,
    /// The top-level nodes' indices.
    roots: Vec<usize>,
}

impl SpanTree {
    /// Flattens `spans` (iteratively: no recursion on a deep tree).
    pub fn new(spans: &[Span]) -> SpanTree {
        let mut t = SpanTree::default();
        // (the sibling list, the next index in it, the parent node)
        let mut stack: Vec<(&[Span], usize, Option<usize>)> = vec![(spans, 0, None)];
        let mut leaf_no: u8 = 0;
        while let Some(top) = stack.last_mut() {
            let (list, i, parent) = (top.0, top.1, top.2);
            let Some(s) = list.get(i) else {
                stack.pop();
                if let Some(p) = parent {
                    let end = t.nodes.len();
                    if let Some(n) = t.nodes.get_mut(p) {
                        n.end = end;
                    }
                }
                continue;
            };
            top.1 += 1;
            let idx = t.nodes.len();
            let kind = if !s.children.is_empty() {
                NodeKind::Group
            } else if s.field == "undecoded" {
                NodeKind::Undecoded
            } else {
                NodeKind::Leaf
            };
            t.nodes.push(Node {
                field: s.field.clone(),
                start: s.offset,
                len: s.length,
                depth: stack.len() - 1,
                parent,
                end: idx + 1,
                kind,
                color: leaf_no,
                pos: (i + 1, list.len()),
            });
            if parent.is_none() {
                t.roots.push(idx);
            }
            if kind == NodeKind::Group {
                stack.push((&s.children, 0, Some(idx)));
            } else {
                t.leaves.push(idx);
                leaf_no = (leaf_no + 1) % PALETTE;
            }
        }
        // Leaves tile the bytes in document order; put any that do not back
        // in byte order (insertion: no sort code in the bundle for a case
        // the codec does not produce).
        let start = |t: &SpanTree, k: usize| {
            t.leaves
                .get(k)
                .and_then(|&n| t.nodes.get(n))
                .map_or(0, |n| n.start)
        };
        for i in 1..t.leaves.len() {
            let mut k = i;
            while k > 0 && start(&t, k - 1) > start(&t, k) {
                t.leaves.swap(k - 1, k);
                k -= 1;
            }
        }
        t
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether there are no spans at all.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The node at `i`.
    pub fn node(&self, i: usize) -> Option<&Node> {
        self.nodes.get(i)
    }

    /// The leaf holding byte `offset`.
    pub fn leaf_at(&self, offset: usize) -> Option<usize> {
        let k = self
            .leaves
            .partition_point(|&n| self.nodes.get(n).is_some_and(|n| n.start <= offset));
        // Empty leaves hold nothing: look back past them.
        (k.saturating_sub(4)..k)
            .rev()
            .filter_map(|j| self.leaves.get(j).copied())
            .find(|&n| self.nodes.get(n).is_some_and(|n| n.contains(offset)))
    }

    /// The deepest node holding byte `offset`: its leaf, or the innermost
    /// group when no leaf covers it.
    pub fn node_at(&self, offset: usize) -> Option<usize> {
        if let Some(l) = self.leaf_at(offset) {
            return Some(l);
        }
        let mut found = None;
        let mut level: Vec<usize> = self.roots.clone();
        while let Some(n) = level
            .iter()
            .copied()
            .find(|&n| self.nodes.get(n).is_some_and(|n| n.contains(offset)))
        {
            found = Some(n);
            level = self.children(n).collect();
        }
        found
    }

    /// The children of `n`, in order.
    pub fn children(&self, n: usize) -> impl Iterator<Item = usize> + '_ {
        let end = self.nodes.get(n).map_or(n, |x| x.end);
        let mut at = n + 1;
        std::iter::from_fn(move || {
            if at >= end {
                return None;
            }
            let c = at;
            at = self.nodes.get(c).map_or(end, |x| x.end.max(c + 1));
            Some(c)
        })
    }

    /// The ancestors of `n`, innermost first.
    pub fn ancestors(&self, n: usize) -> impl Iterator<Item = usize> + '_ {
        let mut at = self.nodes.get(n).and_then(|x| x.parent);
        std::iter::from_fn(move || {
            let p = at?;
            at = self.nodes.get(p).and_then(|x| x.parent);
            Some(p)
        })
    }

    /// Whether `n` is `a` or inside `a`'s subtree.
    #[cfg(test)]
    pub fn is_within(&self, n: usize, a: usize) -> bool {
        self.nodes.get(a).is_some_and(|x| n >= a && n < x.end)
    }

    /// What starts expanded: groups level by level, in order, as long as
    /// the tree shows at most [`OPEN_BUDGET`] items (a small tree opens
    /// whole; a header of 255 atom-cache refs stays closed).
    pub fn default_expanded(&self) -> Vec<bool> {
        let mut open = vec![false; self.nodes.len()];
        let mut shown = self.roots.len();
        let mut level: Vec<usize> = self.roots.clone();
        while !level.is_empty() {
            let mut next = Vec::new();
            for &g in &level {
                if !self.nodes.get(g).is_some_and(Node::is_group) {
                    continue;
                }
                let kids: Vec<usize> = self.children(g).collect();
                if shown + kids.len() > OPEN_BUDGET {
                    continue;
                }
                shown += kids.len();
                if let Some(o) = open.get_mut(g) {
                    *o = true;
                }
                next.extend(kids);
            }
            level = next;
        }
        open
    }

    /// The nodes a tree shows with `expanded` (indexed by node), at most
    /// `limit` of them, in order; and whether more would follow.
    pub fn visible(&self, expanded: &[bool], limit: usize) -> (Vec<usize>, bool) {
        let mut out = Vec::new();
        let mut at = 0;
        while at < self.nodes.len() {
            if out.len() == limit {
                return (out, true);
            }
            out.push(at);
            let open = expanded.get(at).copied().unwrap_or(false);
            at = match self.nodes.get(at) {
                Some(n) if n.is_group() && !open => n.end.max(at + 1),
                _ => at + 1,
            };
        }
        (out, false)
    }

    /// The node shown for `n` when collapsed groups hide it: `n` itself or
    /// its outermost collapsed ancestor.
    pub fn shown_as(&self, n: usize, expanded: &[bool]) -> usize {
        let mut shown = n;
        for a in self.ancestors(n) {
            if !expanded.get(a).copied().unwrap_or(false) {
                shown = a;
            }
        }
        shown
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use erldist_codec::{decode_text, DecodeOptions, Value};

    fn leaf(f: &'static str, o: usize, l: usize) -> Span {
        Span::leaf(f, o, l, Value::Null, "")
    }

    fn group(f: &'static str, o: usize, l: usize, children: Vec<Span>) -> Span {
        Span {
            children,
            ..leaf(f, o, l)
        }
    }

    /// a(0..1) g(1..5)[ b(1..3) h(3..5)[ c(3..4) d(4..5) ] ] e(5..6)
    fn sample() -> SpanTree {
        SpanTree::new(&[
            leaf("a", 0, 1),
            group(
                "g",
                1,
                4,
                vec![
                    leaf("b", 1, 2),
                    group("h", 3, 2, vec![leaf("c", 3, 1), leaf("d", 4, 1)]),
                ],
            ),
            leaf("e", 5, 1),
        ])
    }

    fn names(t: &SpanTree, ns: &[usize]) -> Vec<String> {
        ns.iter().map(|&n| t.nodes[n].field.to_string()).collect()
    }

    #[test]
    fn preorder_with_depths_parents_and_subtree_ends() {
        let t = sample();
        assert_eq!(
            names(&t, &[0, 1, 2, 3, 4, 5, 6]),
            ["a", "g", "b", "h", "c", "d", "e"]
        );
        let d: Vec<usize> = t.nodes.iter().map(|n| n.depth).collect();
        assert_eq!(d, [0, 0, 1, 1, 2, 2, 0]);
        let e: Vec<usize> = t.nodes.iter().map(|n| n.end).collect();
        assert_eq!(e, [1, 6, 3, 6, 5, 6, 7]);
        assert_eq!(t.nodes[4].parent, Some(3));
        assert_eq!(t.ancestors(4).collect::<Vec<_>>(), [3, 1]);
        assert_eq!(t.children(1).collect::<Vec<_>>(), [2, 3]);
        assert_eq!(t.children(2).count(), 0);
        assert!(t.is_within(5, 1) && !t.is_within(6, 1) && t.is_within(1, 1));
        assert_eq!(t.nodes[3].pos, (2, 2));
    }

    #[test]
    fn leaves_take_turns_with_the_colors() {
        let t = sample();
        let c: Vec<u8> = [0, 2, 4, 5, 6].iter().map(|&n| t.nodes[n].color).collect();
        assert_eq!(c, [0, 1, 2, 3, 4]);
    }

    #[test]
    fn leaves_out_of_order_are_found_all_the_same() {
        let t = SpanTree::new(&[leaf("b", 2, 2), leaf("a", 0, 2)]);
        assert_eq!(t.leaf_at(0), Some(1));
        assert_eq!(t.leaf_at(3), Some(0));
    }

    #[test]
    fn a_byte_leads_to_its_deepest_span() {
        let t = sample();
        let at: Vec<Option<usize>> = (0..7).map(|o| t.node_at(o)).collect();
        assert_eq!(
            at,
            [Some(0), Some(2), Some(2), Some(4), Some(5), Some(6), None]
        );
        // A group byte no child covers leads to the group.
        let g = SpanTree::new(&[group("g", 0, 4, vec![leaf("x", 0, 2)])]);
        assert_eq!(g.leaf_at(3), None);
        assert_eq!(g.node_at(3), Some(0));
    }

    #[test]
    fn collapsed_groups_hide_their_subtree() {
        let t = sample();
        let mut open = vec![false; t.len()];
        assert_eq!(names(&t, &t.visible(&open, 100).0), ["a", "g", "e"]);
        open[1] = true;
        assert_eq!(
            names(&t, &t.visible(&open, 100).0),
            ["a", "g", "b", "h", "e"]
        );
        assert_eq!(t.shown_as(5, &open), 3);
        open[3] = true;
        assert_eq!(t.visible(&open, 100).0.len(), 7);
        assert_eq!(t.shown_as(5, &open), 5);
        assert_eq!(t.visible(&open, 3), (vec![0, 1, 2], true));
        assert_eq!(t.visible(&open, 7), ((0..7).collect(), false));
    }

    #[test]
    fn a_small_tree_starts_all_open() {
        let t = sample();
        assert_eq!(
            t.default_expanded(),
            [false, true, false, true, false, false, false]
        );
    }

    #[test]
    fn a_real_connected_phase_frame_flattens_in_order() {
        let text = include_str!("../../codec/tests/vectors/dist/dist_full.streams.txt");
        let r = decode_text(text, &DecodeOptions::default());
        let f = r
            .frames
            .iter()
            .max_by_key(|f| f.spans.iter().map(|s| s.leaves().len()).sum::<usize>())
            .unwrap();
        let t = SpanTree::new(&f.spans);
        assert!(t.len() > 2000, "{}", t.len());
        // Every byte of the (complete) frame has a leaf, in order.
        let mut last = 0;
        for o in f.offset..f.offset + f.bytes.len() {
            let l = t.leaf_at(o).unwrap_or_else(|| panic!("byte {o}"));
            assert!(l >= last);
            last = l;
        }
        // Starting open: the top levels, not the thousands of list items.
        let (shown, _) = t.visible(&t.default_expanded(), usize::MAX);
        assert!(shown.len() <= OPEN_BUDGET, "{}", shown.len());
        assert!(shown.len() > f.spans.len());
    }
}
