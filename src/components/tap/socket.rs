//! The `/ws/tap` websocket: all of tap mode's network code. Text frames in
//! go to [`TapState::receive`]; what it returns (the browser-played epmd's
//! replies) goes back on the same socket.

use crate::model::tap::TapState;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{MessageEvent, WebSocket};

/// An open subscription; closing it (drop) unsubscribes.
pub struct TapSocket {
    ws: WebSocket,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_open: Closure<dyn FnMut()>,
    _on_close: Closure<dyn FnMut()>,
}

impl Drop for TapSocket {
    fn drop(&mut self) {
        self.ws.set_onmessage(None);
        self.ws.set_onopen(None);
        self.ws.set_onclose(None);
        let _ = self.ws.close();
    }
}

impl TapSocket {
    /// Sends one command (a JSON text message) to the bridge.
    pub fn send(&self, text: &str) {
        let _ = self.ws.send_with_str(text);
    }
}

/// `ws://<this host>/ws/tap` (`wss:` on an https page).
pub fn tap_url() -> Option<String> {
    let loc = web_sys::window()?.location();
    let scheme = if loc.protocol().ok()? == "https:" {
        "wss"
    } else {
        "ws"
    };
    Some(format!("{scheme}://{}/ws/tap", loc.host().ok()?))
}

/// Subscribes; `changed` is called after every message and on open/close
/// (with the connection state: `true` open).
pub fn subscribe(
    state: Rc<RefCell<TapState>>,
    changed: Rc<dyn Fn(Option<bool>)>,
) -> Result<TapSocket, String> {
    let url = tap_url().ok_or("no page location")?;
    let ws = WebSocket::new(&url).map_err(|e| format!("{url}: {e:?}"))?;
    let reply_ws = ws.clone();
    let ch = changed.clone();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
        let Some(text) = e.data().as_string() else {
            return;
        };
        let out = state.borrow_mut().receive(&text);
        for m in out {
            let _ = reply_ws.send_with_str(&m);
        }
        ch(None);
    });
    ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    let ch = changed.clone();
    let on_open = Closure::<dyn FnMut()>::new(move || ch(Some(true)));
    ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    let on_close = Closure::<dyn FnMut()>::new(move || changed(Some(false)));
    ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
    Ok(TapSocket {
        ws,
        _on_message: on_message,
        _on_open: on_open,
        _on_close: on_close,
    })
}
