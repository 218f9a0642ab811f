//! All of live mode's websocket code: one `WebSocket` per connection, to
//! the page's own origin only (`ws://<location.host><path>`, the bridge),
//! binary frames only. Carries out the model's [`Command`]s and reports
//! what the sockets do as [`SocketEvent`]s.

use crate::model::live::{Command, ConnKey};
use std::cell::Cell;
use std::collections::HashMap;
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{BinaryType, CloseEvent, Event, MessageEvent, WebSocket};
use yew::Callback;

/// What a socket did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SocketEvent {
    /// It opened.
    Open(ConnKey),
    /// A binary message arrived.
    Message(ConnKey, Vec<u8>),
    /// It closed (or never opened).
    Close {
        /// The connection.
        key: ConnKey,
        /// The close code (1006 when it never opened or dropped).
        code: u16,
        /// The close frame's reason.
        reason: String,
        /// It had opened.
        opened: bool,
    },
}

type Handler<T> = Closure<dyn FnMut(T)>;

struct Sock {
    ws: WebSocket,
    queue: Rc<std::cell::RefCell<Vec<Vec<u8>>>>,
    opened: Rc<Cell<bool>>,
    _on_open: Handler<Event>,
    _on_message: Handler<MessageEvent>,
    _on_close: Handler<CloseEvent>,
}

/// The open websockets.
#[derive(Default)]
pub struct Sockets {
    socks: HashMap<ConnKey, Sock>,
    /// Closed sockets whose handlers may still be running: dropped by
    /// [`Sockets::reap`], which is only called from user actions.
    closed: Vec<Sock>,
}

/// `ws://host` or `wss://host` for the page's own origin.
fn base_url() -> Option<String> {
    let loc = web_sys::window()?.location();
    let host = loc.host().ok()?;
    let scheme = if loc.protocol().ok()?.starts_with("https") {
        "wss"
    } else {
        "ws"
    };
    Some(format!("{scheme}://{host}"))
}

/// Reports a socket that could not even be created, after the current
/// event (the caller holds the sockets borrowed).
fn later_close(events: &Callback<SocketEvent>, key: ConnKey, reason: String) {
    let events = events.clone();
    wasm_bindgen_futures::spawn_local(async move {
        events.emit(SocketEvent::Close {
            key,
            code: 1006,
            reason,
            opened: false,
        });
    });
}

impl Sockets {
    /// Carries out `commands`; what the sockets do later goes to `events`.
    pub fn run(&mut self, commands: Vec<Command>, events: &Callback<SocketEvent>) {
        for c in commands {
            match c {
                Command::Open { key, path } => self.open(key, &path, events),
                Command::Send { key, bytes } => {
                    if let Some(s) = self.socks.get(&key) {
                        if s.opened.get() && s.ws.ready_state() == WebSocket::OPEN {
                            let _ = s.ws.send_with_u8_array(&bytes);
                        } else {
                            s.queue.borrow_mut().push(bytes);
                        }
                    }
                }
                Command::Close { key } => {
                    if let Some(s) = self.socks.remove(&key) {
                        let _ = s.ws.close();
                        self.closed.push(s);
                    }
                }
            }
        }
    }

    /// Drops the handlers of closed sockets.
    pub fn reap(&mut self) {
        self.closed
            .retain(|s| s.ws.ready_state() != WebSocket::CLOSED);
        let done: Vec<ConnKey> = self
            .socks
            .iter()
            .filter(|(_, s)| s.ws.ready_state() == WebSocket::CLOSED)
            .map(|(k, _)| *k)
            .collect();
        for k in done {
            self.socks.remove(&k);
        }
    }

    /// Closes every socket (the page goes away).
    pub fn close_all(&mut self) {
        for (_, s) in self.socks.drain() {
            let _ = s.ws.close();
            self.closed.push(s);
        }
    }

    fn open(&mut self, key: ConnKey, path: &str, events: &Callback<SocketEvent>) {
        let Some(base) = base_url() else {
            later_close(events, key, "no page location".into());
            return;
        };
        let ws = match WebSocket::new(&format!("{base}{path}")) {
            Ok(ws) => ws,
            Err(e) => {
                let why = e.as_string().unwrap_or_else(|| "cannot open".into());
                later_close(events, key, why);
                return;
            }
        };
        ws.set_binary_type(BinaryType::Arraybuffer);
        let queue: Rc<std::cell::RefCell<Vec<Vec<u8>>>> = Rc::default();
        let opened = Rc::new(Cell::new(false));

        let on_open = {
            let ws = ws.clone();
            let queue = queue.clone();
            let opened = opened.clone();
            let events = events.clone();
            Closure::<dyn FnMut(Event)>::new(move |_: Event| {
                opened.set(true);
                for b in queue.borrow_mut().drain(..) {
                    let _ = ws.send_with_u8_array(&b);
                }
                events.emit(SocketEvent::Open(key));
            })
        };
        let on_message = {
            let events = events.clone();
            Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
                // Binary frames only: the bridge relays bytes.
                if let Ok(buf) = e.data().dyn_into::<js_sys::ArrayBuffer>() {
                    let bytes = js_sys::Uint8Array::new(&buf).to_vec();
                    events.emit(SocketEvent::Message(key, bytes));
                }
            })
        };
        let on_close = {
            let events = events.clone();
            let opened = opened.clone();
            Closure::<dyn FnMut(CloseEvent)>::new(move |e: CloseEvent| {
                events.emit(SocketEvent::Close {
                    key,
                    code: e.code(),
                    reason: e.reason(),
                    opened: opened.get(),
                });
            })
        };
        ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        self.socks.insert(
            key,
            Sock {
                ws,
                queue,
                opened,
                _on_open: on_open,
                _on_message: on_message,
                _on_close: on_close,
            },
        );
    }
}

impl Drop for Sock {
    fn drop(&mut self) {
        // No handler may run once its closure is gone.
        self.ws.set_onopen(None);
        self.ws.set_onmessage(None);
        self.ws.set_onclose(None);
        if self.ws.ready_state() != WebSocket::CLOSED {
            let _ = self.ws.close();
        }
    }
}
