//! Reading and decoding a file without freezing the page.
//!
//! A capture (pcap, pcapng) is read a slice at a time with
//! `Blob.slice().arrayBuffer()` and pushed into the codec's
//! [`CaptureDecoder`]; after each slice the frames it completed go to the
//! page (which renders them) and the task yields to the browser
//! (`setTimeout 0`), so input and painting go on between slices. The slice
//! size adapts so that one slice takes about [`SLICE_BUDGET_MS`]. The file
//! is never in memory whole. Any other file is read whole and decoded at
//! once: as text when it is text, else as the bytes of one stream.
//!
//! A run stops as soon as the page starts another (new options, another
//! file, cancel): `live` holds the current run's number.

use super::state::Action;
use erldist_codec::capture::{is_capture, CaptureDecoder, CaptureOptions};
use erldist_codec::{decode_bytes, decode_text, DecodeOptions, FormatChoice};
use std::cell::Cell;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use yew::prelude::*;

/// Time one slice of a capture may take to decode, in milliseconds (the
/// page renders after it: the whole tick stays well under 100 ms).
pub const SLICE_BUDGET_MS: f64 = 20.0;
/// The first slice (small, so the first frames show at once).
const FIRST_SLICE: u64 = 64 * 1024;
const MIN_SLICE: u64 = 16 * 1024;
const MAX_SLICE: u64 = 512 * 1024;

fn now() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

/// The bytes `start..end` of `file`.
async fn read_slice(file: &web_sys::File, start: u64, end: u64) -> Result<Vec<u8>, String> {
    let blob = file
        .slice_with_f64_and_f64(start as f64, end as f64)
        .map_err(|e| format!("{e:?}"))?;
    let buf = JsFuture::from(blob.array_buffer())
        .await
        .map_err(|e| format!("the file could not be read: {e:?}"))?;
    let buf: js_sys::ArrayBuffer = buf
        .dyn_into()
        .map_err(|_| "the file could not be read".to_string())?;
    Ok(js_sys::Uint8Array::new(&buf).to_vec())
}

/// Lets the browser paint and handle input.
async fn yield_now() {
    gloo_timers::future::TimeoutFuture::new(0).await;
}

/// True when the bytes read as text: UTF-8 without control characters
/// other than tab, newline and carriage return (a raw EPMD stream is full
/// of zero bytes).
pub fn is_text(bytes: &[u8]) -> Option<&str> {
    let s = std::str::from_utf8(bytes).ok()?;
    s.chars()
        .all(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r'))
        .then_some(s)
}

/// Decodes `file` as run `run` with `opts`, sending the results to
/// `dispatch` while `live` says this run is current.
pub async fn decode_file(
    file: web_sys::File,
    size: u64,
    opts: DecodeOptions,
    run: u32,
    live: Rc<Cell<u32>>,
    dispatch: UseReducerDispatcher<super::state::DecoderState>,
) {
    let current = || live.get() == run;
    let head = match read_slice(&file, 0, size.min(FIRST_SLICE)).await {
        Ok(b) => b,
        Err(message) => {
            dispatch.dispatch(Action::FileFailed { run, message });
            return;
        }
    };
    let capture = opts.format == FormatChoice::Pcap
        || (opts.format == FormatChoice::Auto && is_capture(&head));
    if !capture {
        let bytes = if (head.len() as u64) < size {
            match read_slice(&file, 0, size).await {
                Ok(b) => b,
                Err(message) => {
                    dispatch.dispatch(Action::FileFailed { run, message });
                    return;
                }
            }
        } else {
            head
        };
        if !current() {
            return;
        }
        let (report, text) = match (opts.format, is_text(&bytes)) {
            (FormatChoice::Raw, _) | (FormatChoice::Auto, None) => {
                (decode_bytes(&bytes, &opts), Rc::from(""))
            }
            (_, Some(t)) => (decode_text(t, &opts), Rc::from(t)),
            (_, None) => {
                // A text format chosen for bytes that are not text: read
                // them as text anyway, so the format's error says where.
                let t = String::from_utf8_lossy(&bytes);
                (decode_text(&t, &opts), Rc::from(&*t))
            }
        };
        dispatch.dispatch(Action::FileReport {
            run,
            report: Box::new(report),
            text,
        });
        return;
    }
    let mut dec = CaptureDecoder::new(CaptureOptions {
        cookie: opts.cookie.clone(),
        protocol: opts.protocol,
        ..CaptureOptions::default()
    });
    let mut done = 0u64;
    let mut slice = FIRST_SLICE;
    let mut next = Some(head);
    while done < size {
        if !current() {
            return;
        }
        let bytes = match next.take() {
            Some(b) => b,
            None => match read_slice(&file, done, size.min(done + slice)).await {
                Ok(b) => b,
                Err(message) => {
                    dispatch.dispatch(Action::FileFailed { run, message });
                    return;
                }
            },
        };
        if bytes.is_empty() || !current() {
            break;
        }
        let t0 = now();
        let mut frames = Vec::new();
        dec.push_marked(&bytes, &mut |f, m| frames.push((f, m)));
        let connections = dec.take_finished();
        let took = now() - t0;
        done += bytes.len() as u64;
        dispatch.dispatch(Action::CaptureChunk {
            run,
            frames,
            connections,
            done,
        });
        // Aim the next slice at the budget.
        slice = if took < SLICE_BUDGET_MS / 2.0 {
            (slice * 2).min(MAX_SLICE)
        } else if took > SLICE_BUDGET_MS {
            (slice / 2).max(MIN_SLICE)
        } else {
            slice
        };
        yield_now().await;
    }
    if !current() {
        return;
    }
    let mut frames = Vec::new();
    let summary = dec.finish_marked(&mut |f, m| frames.push((f, m)));
    dispatch.dispatch(Action::CaptureDone {
        run,
        frames,
        summary: Box::new(summary),
    });
}

#[cfg(test)]
mod tests {
    use super::is_text;

    #[test]
    fn text_or_bytes() {
        assert!(is_text(b"00 01 6e\n").is_some());
        assert!(is_text("epmd: got 3 bytes\r\n\t***** ŝ".as_bytes()).is_some());
        assert!(is_text(&[0, 1, b'n']).is_none());
        assert!(is_text(&[0xff, 0xfe]).is_none());
    }
}
