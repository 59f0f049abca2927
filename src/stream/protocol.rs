//! The names on the wire, once: the `meta=1` events a stream sends as binary JSON frames
//! (`{"event": NAME, "pos": POSITION, "offset": BYTES}`). The page reads the same names
//! (`src/web/viewer/conn.js`, `src/web/viewer/viewer.js`).

/// A `meta=1` event, sent after the text frame it describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// History follows; its `offset` is where its first line starts (to read on upwards),
    /// and its `number` that line's number, when the line index knows it.
    History,
    /// The position after the lines of the text frame just sent.
    Pos,
    /// History is over; what follows arrived after the file was opened.
    Live,
    /// The stream continues exactly at the client's `resume` position.
    Resumed,
    /// The `resume` position no longer matches the file: history follows instead.
    Gap,
    /// The path now names another file (rotation); its lines follow from its start.
    Rotated,
    /// The file was truncated (copytruncate); its lines follow from its start.
    Truncated,
    /// Standard input ended: no more lines will come (the stream stays open).
    Eof,
    /// A merged view's directory gained a file, followed from its start (its `file`).
    Added,
    /// A compressed file ended early, before `live`: its `reason`; the lines sent are what
    /// could be read before the damage.
    Damaged,
    /// After `live`: the file is compressed, read whole and not followed (nothing more comes;
    /// the stream stays open, and reconnecting would bring nothing new).
    Compressed,
}

impl Event {
    /// The event's name on the wire.
    pub fn name(self) -> &'static str {
        match self {
            Event::History => "history",
            Event::Pos => "pos",
            Event::Live => "live",
            Event::Resumed => "resumed",
            Event::Gap => "gap",
            Event::Rotated => "rotated",
            Event::Truncated => "truncated",
            Event::Eof => "eof",
            Event::Added => "added",
            Event::Damaged => "damaged",
            Event::Compressed => "compressed",
        }
    }
}
