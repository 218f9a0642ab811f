//! The field tree: the span tree with collapsible groups, as an ARIA tree
//! (flat `treeitem`s with `aria-level`). Keyboard: Up/Down move, Right
//! opens or enters a group, Left closes it or goes to the parent,
//! Home/End, Enter/Space select. Items carry `data-row` (row `i` of the
//! byte table is node `i`) for the shared hover and selection.

use crate::model::frame_space::SpaceModel;
use crate::model::frame_state::{Action, TreeKey, ViewState};
use std::rc::Rc;
use yew::prelude::*;

/// Props of [`FieldTree`].
#[derive(Properties, PartialEq)]
pub struct FieldTreeProps {
    /// Hover, selection, open groups, focus.
    pub state: Rc<ViewState>,
    /// Where keys go.
    pub dispatch: UseReducerDispatcher<ViewState>,
    /// Prefix of the items' ids.
    pub id: AttrValue,
}

#[derive(Properties, PartialEq)]
struct ItemProps {
    model: Rc<SpaceModel>,
    n: usize,
    open: bool,
    hot: bool,
    has_hot: bool,
    selected: bool,
    focused: bool,
    id: AttrValue,
}

#[component]
fn TreeItem(p: &ItemProps) -> Html {
    let (Some(node), Some(row)) = (p.model.tree.node(p.n), p.model.rows.get(p.n)) else {
        return html! {};
    };
    let group = node.is_group();
    let class = classes!(
        "tree-item",
        group.then_some("is-group"),
        row.is_error.then_some("is-error"),
        p.hot.then_some("is-hot"),
        p.has_hot.then_some("has-hot"),
        p.selected.then_some("is-selected"),
        p.focused.then_some("is-focused"),
    );
    let swatch = (!group).then(|| {
        let c = ["f0", "f1", "f2", "f3", "f4", "f5"]
            .get(usize::from(node.color))
            .copied();
        html! { <span class={classes!("tree-swatch", c)} /> }
    });
    html! {
        <li role="treeitem" id={format!("{}-t{}", p.id, p.n)} {class}
            data-row={p.n.to_string()}
            aria-level={(node.depth + 1).to_string()}
            aria-posinset={node.pos.0.to_string()} aria-setsize={node.pos.1.to_string()}
            aria-expanded={group.then_some(if p.open { "true" } else { "false" })}
            aria-selected={if p.selected { "true" } else { "false" }}
            title={row.meaning.clone()}
            style={format!("--depth: {}", node.depth)}>
            if group {
                <span class="tree-toggle" data-toggle={p.n.to_string()} aria-hidden="true">
                    { if p.open { "▾" } else { "▸" } }
                </span>
            } else {
                <span class="tree-toggle tree-leaf" aria-hidden="true">{ swatch }</span>
            }
            <span class="tree-field">{ &row.field }</span>
            if !row.value.is_empty() {
                <span class="tree-value">{ &row.value }</span>
            }
            <span class="tree-range">{ format!("@{} ×{}", node.start, node.len) }</span>
        </li>
    }
}

/// The field tree.
#[component]
pub fn FieldTree(p: &FieldTreeProps) -> Html {
    let s: &ViewState = &p.state;
    let (shown, more) = s.visible();
    let list = use_node_ref();

    let onkeydown = {
        let d = p.dispatch.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.alt_key() || e.ctrl_key() || e.meta_key() {
                return;
            }
            if let Some(k) = TreeKey::from_key(&e.key()) {
                e.prevent_default();
                d.dispatch(Action::Key(k));
            }
        })
    };

    // Keep the focused item in view (not on the first render: reading the
    // layout of a page being built costs a forced layout per tree).
    let mounted = use_mut_ref(|| false);
    {
        let list = list.clone();
        let id = format!("{}-t{}", p.id, s.focus);
        use_effect_with((s.focus, s.reveal), move |_| {
            if !std::mem::replace(&mut *mounted.borrow_mut(), true) {
                return;
            }
            let Some(el) = list.cast::<web_sys::HtmlElement>() else {
                return;
            };
            let Some(item) = el
                .owner_document()
                .and_then(|d| d.get_element_by_id(&id))
                .and_then(|i| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(i).ok())
            else {
                return;
            };
            let top = item.offset_top();
            let bottom = top + item.offset_height();
            let now = el.scroll_top();
            let height = el.client_height();
            if top < now {
                el.set_scroll_top(top);
            } else if bottom > now + height {
                el.set_scroll_top(bottom - height);
            }
        });
    }

    let active = shown
        .contains(&s.focus)
        .then(|| format!("{}-t{}", p.id, s.focus));
    let hot_within = s.hot_within();
    let on_more = {
        let d = p.dispatch.clone();
        Callback::from(move |_: MouseEvent| d.dispatch(Action::MoreTree(500)))
    };
    html! {
        <div class="field-tree">
            if s.model.tree.is_empty() {
                <p class="muted tree-empty">{ "No fields." }</p>
            } else {
                <ul role="tree" class="tree" ref={list} tabindex="0" aria-label="fields"
                    aria-activedescendant={active} {onkeydown}>
                    { for shown.iter().map(|&n| html! {
                        <TreeItem key={n} model={Rc::clone(&s.model)} {n}
                            open={s.expanded.get(n).copied().unwrap_or(false)}
                            hot={s.hover == Some(n)} has_hot={hot_within == Some(n)}
                            selected={s.selected == Some(n)} focused={s.focus == n}
                            id={p.id.clone()} />
                    }) }
                </ul>
                if more {
                    <p class="show-more"><button type="button" class="more-tree" onclick={on_more}>
                        { "Show more fields" }
                    </button></p>
                }
            }
        </div>
    }
}
