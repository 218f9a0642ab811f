//! erldist playground: paste bytes (hex or an `epmd -d -d -d` log) and see
//! every byte of the Erlang distribution protocol explained.
//!
//! House style: one [`Reducible`](yew::Reducible) state in [`state`], one
//! component per file in [`components`], and pure view models in [`model`]
//! (tested on the host with `cargo test -p erldist-playground`).

mod components;
mod model;
mod state;

fn main() {
    yew::Renderer::<components::App>::new().render();
}
