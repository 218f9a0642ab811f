//! The state the three views of one byte space share: the hovered and the
//! selected row (row `i` is tree node `i`), the tree's open groups and
//! keyboard focus, and how many table rows and tree items are built.
//! A pure [`Reducible`]: the components only dispatch [`Action`]s.

use super::frame_space::{Range, SpaceModel};
use std::rc::Rc;
use yew::Reducible;

/// Table rows built at first (then "show more").
pub const TABLE_ROWS: usize = 100;
/// ... in compact mode.
pub const TABLE_ROWS_COMPACT: usize = 40;
/// Tree items built at first.
pub const TREE_ITEMS: usize = 300;

/// What the pointer is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A table row or tree item.
    Row(usize),
    /// A hex or ASCII cell.
    Byte(usize),
}

/// A key pressed in the tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TreeKey {
    /// Previous visible item.
    Up,
    /// Next visible item.
    Down,
    /// Collapse, or go to the parent.
    Left,
    /// Expand, or go to the first child.
    Right,
    /// First item.
    Home,
    /// Last visible item.
    End,
    /// Enter or Space: select the focused item.
    Select,
}

impl TreeKey {
    /// The key of a `KeyboardEvent.key`.
    pub fn from_key(key: &str) -> Option<TreeKey> {
        Some(match key {
            "ArrowUp" => TreeKey::Up,
            "ArrowDown" => TreeKey::Down,
            "ArrowLeft" => TreeKey::Left,
            "ArrowRight" => TreeKey::Right,
            "Home" => TreeKey::Home,
            "End" => TreeKey::End,
            "Enter" | " " | "Spacebar" => TreeKey::Select,
            _ => return None,
        })
    }
}

/// Something the user did in one of the views.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// The pointer entered a row, tree item or byte.
    Hover(Target),
    /// The pointer left.
    Unhover,
    /// A click (again on the selected row: unselect).
    Select(Target),
    /// Open or close a tree group.
    Toggle(usize),
    /// A key in the tree.
    Key(TreeKey),
    /// Build more table rows (`usize::MAX`: all).
    MoreRows(usize),
    /// Build more tree items.
    MoreTree(usize),
    /// Show or hide the hex view and the tree (compact mode folds them).
    ToggleViews,
    /// The bytes changed: start over on a new model, keeping what still fits.
    Reset(Rc<SpaceModel>),
}

/// The shared state.
#[derive(Debug, Clone, PartialEq)]
pub struct ViewState {
    /// What the views show.
    pub model: Rc<SpaceModel>,
    /// The row under the pointer.
    pub hover: Option<usize>,
    /// The byte under the pointer, when it is a hex cell.
    pub hover_byte: Option<usize>,
    /// The selected row.
    pub selected: Option<usize>,
    /// The tree item with the keyboard focus.
    pub focus: usize,
    /// Open groups, by node.
    pub expanded: Rc<Vec<bool>>,
    /// Table rows built.
    pub table_limit: usize,
    /// Tree items built.
    pub tree_limit: usize,
    /// Bumped when the views should bring the selection into view.
    pub reveal: u32,
    /// The hex view and the tree are shown.
    pub views_open: bool,
}

impl ViewState {
    /// The starting state over `model`.
    pub fn new(model: Rc<SpaceModel>, compact: bool) -> ViewState {
        let expanded = Rc::new(model.tree.default_expanded());
        // The error row is always built (the header links to it).
        let error_row = model
            .rows
            .iter()
            .position(|r| r.is_error)
            .map_or(0, |i| i + 1);
        let rows = if compact {
            TABLE_ROWS_COMPACT
        } else {
            TABLE_ROWS
        };
        ViewState {
            model,
            hover: None,
            hover_byte: None,
            selected: None,
            focus: 0,
            expanded,
            table_limit: rows.max(error_row),
            tree_limit: TREE_ITEMS,
            reveal: 0,
            views_open: !compact,
        }
    }

    fn row_of(&self, t: Target) -> Option<usize> {
        match t {
            Target::Row(r) => (r < self.model.rows.len()).then_some(r),
            Target::Byte(o) => self.model.row_at(o),
        }
    }

    /// The bytes under the pointer's row.
    pub fn hot_range(&self) -> Option<Range> {
        self.hover.and_then(|r| self.model.row_range(r))
    }

    /// The selected row's bytes.
    pub fn selected_range(&self) -> Option<Range> {
        self.selected.and_then(|r| self.model.row_range(r))
    }

    /// The tree item standing for the hovered row when a closed group hides
    /// it (that group), if not the row's own item.
    pub fn hot_within(&self) -> Option<usize> {
        let n = self.model.node_of(self.hover?)?;
        let shown = self.model.tree.shown_as(n, &self.expanded);
        (shown != n).then_some(shown)
    }

    /// The visible tree items (at most `tree_limit`) and whether more follow.
    pub fn visible(&self) -> (Vec<usize>, bool) {
        self.model.tree.visible(&self.expanded, self.tree_limit)
    }

    fn is_open(&self, n: usize) -> bool {
        self.expanded.get(n).copied().unwrap_or(false)
    }

    fn set_open(&mut self, n: usize, open: bool) {
        if self.is_open(n) != open && self.model.tree.node(n).is_some_and(|x| x.is_group()) {
            if let Some(e) = Rc::make_mut(&mut self.expanded).get_mut(n) {
                *e = open;
            }
        }
    }

    /// Selects row `r`: opens the groups around its node, focuses it, makes
    /// sure its table row and tree item are built.
    fn select(&mut self, r: usize) {
        self.selected = Some(r);
        self.table_limit = self.table_limit.max(r + 1);
        if let Some(n) = self.model.node_of(r) {
            let around: Vec<usize> = self.model.tree.ancestors(n).collect();
            for a in around {
                self.set_open(a, true);
            }
            self.focus = n;
            // The item's place among the visible ones.
            let (shown, _) = self.model.tree.visible(&self.expanded, usize::MAX);
            if let Some(k) = shown.iter().position(|&x| x == n) {
                self.tree_limit = self.tree_limit.max(k + 1);
            }
        }
        self.reveal = self.reveal.wrapping_add(1);
    }

    fn key(&mut self, key: TreeKey) {
        let model = Rc::clone(&self.model);
        let tree = &model.tree;
        if tree.is_empty() {
            return;
        }
        let (shown, _) = tree.visible(&self.expanded, usize::MAX);
        let at = shown.iter().position(|&x| x == self.focus).unwrap_or(0);
        let f = shown.get(at).copied().unwrap_or(0);
        let group = tree.node(f).is_some_and(|n| n.is_group());
        let next = match key {
            TreeKey::Up => shown.get(at.saturating_sub(1)).copied(),
            TreeKey::Down => shown.get(at + 1).copied(),
            TreeKey::Home => shown.first().copied(),
            TreeKey::End => shown.last().copied(),
            TreeKey::Right if group && !self.is_open(f) => {
                self.set_open(f, true);
                None
            }
            TreeKey::Right if group => Some(f + 1),
            TreeKey::Left if group && self.is_open(f) => {
                self.set_open(f, false);
                None
            }
            TreeKey::Left => tree.node(f).and_then(|n| n.parent),
            TreeKey::Select => {
                if self.selected == Some(f) {
                    self.selected = None;
                } else {
                    self.select(f);
                }
                None
            }
            TreeKey::Right => None,
        };
        if let Some(n) = next {
            self.focus = n;
            if let Some(k) = shown.iter().position(|&x| x == n) {
                self.tree_limit = self.tree_limit.max(k + 1);
            }
        }
    }
}

impl Reducible for ViewState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut s = (*self).clone();
        match action {
            Action::Hover(t) => {
                let row = s.row_of(t);
                let byte = match t {
                    Target::Byte(o) => Some(o),
                    Target::Row(_) => None,
                };
                if row == s.hover && byte == s.hover_byte {
                    return self;
                }
                s.hover = row;
                s.hover_byte = byte;
            }
            Action::Unhover => {
                if s.hover.is_none() && s.hover_byte.is_none() {
                    return self;
                }
                s.hover = None;
                s.hover_byte = None;
            }
            Action::Select(t) => match s.row_of(t) {
                Some(r) if s.selected == Some(r) => s.selected = None,
                Some(r) => s.select(r),
                None => return self,
            },
            Action::Toggle(n) => {
                let open = s.is_open(n);
                s.set_open(n, !open);
                s.focus = n;
            }
            Action::Key(k) => s.key(k),
            Action::MoreRows(n) => s.table_limit = s.table_limit.saturating_add(n),
            Action::MoreTree(n) => s.tree_limit = s.tree_limit.saturating_add(n),
            Action::ToggleViews => s.views_open = !s.views_open,
            Action::Reset(model) => {
                if Rc::ptr_eq(&model, &s.model) {
                    return self;
                }
                let same_shape = model.tree.len() == s.model.tree.len()
                    && model.rows.len() == s.model.rows.len();
                if !same_shape {
                    s.expanded = Rc::new(model.tree.default_expanded());
                    s.selected = None;
                    s.focus = 0;
                }
                s.hover = None;
                s.hover_byte = None;
                s.model = model;
            }
        }
        Rc::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::view::SpaceSrc;
    use erldist_codec::{decode_text, DecodeOptions};

    fn state(text: &str) -> Rc<ViewState> {
        let f = decode_text(text, &DecodeOptions::default())
            .frames
            .remove(0);
        Rc::new(ViewState::new(
            Rc::new(SpaceModel::new(&SpaceSrc::frame(&f))),
            false,
        ))
    }

    const ALIVE2: &str = "00 11 78 25 22 4d 00 00 06 00 05 00 04 6e 6f 64 65 00 00";
    const NAMES_RESP: &str =
        "00 00 11 11 6e 61 6d 65 20 66 6f 6f 20 61 74 20 70 6f 72 74 20 35 35 35 35 0a";

    fn field(s: &ViewState, r: Option<usize>) -> &str {
        &s.model.rows[r.unwrap()].field
    }

    #[test]
    fn hovering_a_byte_makes_its_field_hot() {
        let s = state(ALIVE2).reduce(Action::Hover(Target::Byte(4)));
        assert_eq!(field(&s, s.hover), "port");
        assert_eq!(s.hot_range(), Some((3, 5)));
        assert_eq!(s.hover_byte, Some(4));
        // The same field again changes nothing (no re-render).
        let again = Rc::clone(&s).reduce(Action::Hover(Target::Byte(4)));
        assert!(Rc::ptr_eq(&s, &again));
        let out = s.reduce(Action::Unhover);
        assert_eq!((out.hover, out.hot_range()), (None, None));
    }

    #[test]
    fn selecting_a_row_selects_its_bytes_and_a_second_click_unselects() {
        let s = state(ALIVE2);
        let name = s.model.rows.iter().position(|r| r.field == "name").unwrap();
        let s = s.reduce(Action::Select(Target::Row(name)));
        assert_eq!(s.selected_range(), Some((13, 17)));
        assert_eq!(s.focus, name);
        assert_eq!(s.reveal, 1);
        let s = s.reduce(Action::Select(Target::Byte(15)));
        assert_eq!(s.selected, None);
    }

    #[test]
    fn selecting_a_byte_in_a_closed_group_opens_it() {
        let s = state(NAMES_RESP);
        let g = s
            .model
            .rows
            .iter()
            .position(|r| r.field == "nodes[0]")
            .unwrap();
        assert!(s.expanded[g]);
        let s = s.reduce(Action::Toggle(g));
        assert!(!s.expanded[g]);
        let s = s.reduce(Action::Hover(Target::Byte(9)));
        assert_eq!(field(&s, s.hover), "name");
        assert_eq!(s.hot_within(), Some(g));
        let s = s.reduce(Action::Select(Target::Byte(9)));
        assert!(s.expanded[g]);
        assert_eq!(s.hot_within(), None);
        assert_eq!(field(&s, Some(s.focus)), "name");
    }

    #[test]
    fn arrow_keys_walk_open_and_close_the_tree() {
        let s = state(NAMES_RESP);
        let names = |s: &ViewState| s.model.rows[s.focus].field.clone();
        assert_eq!(names(&s), "epmd_port");
        let s = s.reduce(Action::Key(TreeKey::Down));
        assert_eq!(names(&s), "nodes[0]");
        // Left closes the open group, Right opens it, Right again enters it.
        let s = s.reduce(Action::Key(TreeKey::Left));
        assert!(!s.expanded[s.focus]);
        assert_eq!(names(&s), "nodes[0]");
        let s = s.reduce(Action::Key(TreeKey::Down));
        assert_eq!(names(&s), "nodes[0]", "nothing below a closed last group");
        let s = s.reduce(Action::Key(TreeKey::Right));
        assert!(s.expanded[s.focus]);
        let s = s.reduce(Action::Key(TreeKey::Right));
        let first_child = names(&s);
        assert_ne!(first_child, "nodes[0]");
        // Left on a leaf goes to its parent; End and Home.
        let s = s.reduce(Action::Key(TreeKey::Left));
        assert_eq!(names(&s), "nodes[0]");
        let s = s.reduce(Action::Key(TreeKey::End));
        assert_eq!(s.focus, s.model.tree.len() - 1);
        let s = s.reduce(Action::Key(TreeKey::Home));
        assert_eq!(s.focus, 0);
        // Enter selects the focused item.
        let s = s.reduce(Action::Key(TreeKey::Select));
        assert_eq!(s.selected, Some(0));
        assert_eq!(TreeKey::from_key(" "), Some(TreeKey::Select));
        assert_eq!(TreeKey::from_key("a"), None);
    }

    #[test]
    fn selecting_far_rows_builds_them() {
        let text = include_str!("../../codec/tests/vectors/dist/dist_full.streams.txt");
        let r = decode_text(text, &DecodeOptions::default());
        let f = r
            .frames
            .iter()
            .max_by_key(|f| f.spans.iter().map(|s| s.leaves().len()).sum::<usize>())
            .unwrap();
        let s = Rc::new(ViewState::new(
            Rc::new(SpaceModel::new(&SpaceSrc::frame(f))),
            false,
        ));
        assert_eq!(s.table_limit, TABLE_ROWS);
        let last = f.offset + f.bytes.len() - 1;
        let s = s.reduce(Action::Select(Target::Byte(last)));
        let row = s.selected.unwrap();
        assert!(row >= TABLE_ROWS);
        assert!(s.table_limit > row);
        let (shown, _) = s.visible();
        assert!(shown.contains(&s.focus), "the selected item is built");
        let s = s.reduce(Action::MoreRows(usize::MAX));
        assert_eq!(s.table_limit, usize::MAX);
    }

    #[test]
    fn new_bytes_of_the_same_shape_keep_the_selection() {
        let s = state(ALIVE2).reduce(Action::Select(Target::Byte(3)));
        let f = decode_text(
            "00 11 78 25 23 4d 00 00 06 00 05 00 04 6e 6f 64 65 00 00",
            &DecodeOptions::default(),
        )
        .frames
        .remove(0);
        let m = Rc::new(SpaceModel::new(&SpaceSrc::frame(&f)));
        let s = s.reduce(Action::Reset(Rc::clone(&m)));
        assert_eq!(field(&s, s.selected), "port");
        let f = decode_text("00 01 6e", &DecodeOptions::default())
            .frames
            .remove(0);
        let m = Rc::new(SpaceModel::new(&SpaceSrc::frame(&f)));
        let s = s.reduce(Action::Reset(m));
        assert_eq!(s.selected, None);
    }
}
