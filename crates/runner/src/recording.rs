//! Recordings: every stamped input of a session, one JSON object per line, gzipped. The
//! market arrives as the public feed's raw WebSocket frames, verbatim as JSON strings
//! (`{"t":1764561600123,"frame":"{\"channel\":\"trade\",\"type\":\"update\",...}"}`, heartbeats
//! and book frames included), the timer as `{"t":1764561601000,"tick":null}`; a decoded
//! print (`{"t":..,"trade":{"price":"0.18","qty":"120","side":"buy"}}`) is still read.
//!
//! Invariants:
//! - Lines are written in the order the engine applied them, with exact decimals.
//! - The stream is flushed (a gzip sync point) every `flush_every` lines and at the end, so
//!   a session killed at any instant leaves a readable prefix: [`read`] returns the complete
//!   lines and names the first unreadable one (file:line) instead of guessing.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;
use thiserror::Error;

use crate::input::Stamped;

#[derive(Debug, Error)]
pub enum RecordingError {
    #[error("recording {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("recording {path}:{line}: {reason}")]
    Line {
        path: PathBuf,
        line: u64,
        reason: String,
    },
}

/// Writes a recording.
pub struct Recorder {
    path: PathBuf,
    out: GzEncoder<BufWriter<File>>,
    lines: u64,
    flush_every: u64,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder")
            .field("path", &self.path)
            .field("lines", &self.lines)
            .finish()
    }
}

impl Recorder {
    /// Create `path`; refuses to overwrite an existing file (a recording is evidence).
    pub fn create(path: &Path, flush_every: u64) -> Result<Self, RecordingError> {
        let io = |source| RecordingError::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = File::options()
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(io)?;
        Ok(Recorder {
            path: path.to_path_buf(),
            out: GzEncoder::new(BufWriter::new(file), Compression::fast()),
            lines: 0,
            flush_every: flush_every.max(1),
        })
    }

    pub fn lines(&self) -> u64 {
        self.lines
    }

    pub fn write(&mut self, s: &Stamped) -> Result<(), RecordingError> {
        let io = |source| RecordingError::Io {
            path: self.path.clone(),
            source,
        };
        let line = serde_json::to_string(s).map_err(|e| RecordingError::Line {
            path: self.path.clone(),
            line: self.lines + 1,
            reason: e.to_string(),
        })?;
        self.out.write_all(line.as_bytes()).map_err(io)?;
        self.out.write_all(b"\n").map_err(io)?;
        self.lines += 1;
        if self.lines.is_multiple_of(self.flush_every) {
            self.out.flush().map_err(io)?;
        }
        Ok(())
    }

    /// Finish the gzip stream and sync the file.
    pub fn finish(self) -> Result<u64, RecordingError> {
        let path = self.path.clone();
        let io = |source| RecordingError::Io {
            path: path.clone(),
            source,
        };
        let lines = self.lines;
        let buf = self.out.finish().map_err(io)?;
        let file = buf.into_inner().map_err(|e| io(e.into_error()))?;
        file.sync_all().map_err(io)?;
        Ok(lines)
    }
}

/// Read a recording: the stamped inputs in order. A truncated tail (a session killed
/// mid-write) ends the list; a line that is complete but unreadable is an error naming it.
pub fn read(path: &Path) -> Result<Vec<Stamped>, RecordingError> {
    let file = File::open(path).map_err(|source| RecordingError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut out = Vec::new();
    let mut reader = BufReader::new(MultiGzDecoder::new(file));
    let mut buf = String::new();
    let mut n = 0u64;
    loop {
        buf.clear();
        match reader.read_line(&mut buf) {
            Ok(0) => break,
            Ok(_) => {}
            // The gzip stream ends mid-block: what came before is all there is.
            Err(_) => break,
        }
        n += 1;
        if !buf.ends_with('\n') {
            break;
        }
        let s: Stamped =
            serde_json::from_str(buf.trim_end()).map_err(|e| RecordingError::Line {
                path: path.to_path_buf(),
                line: n,
                reason: e.to_string(),
            })?;
        out.push(s);
    }
    Ok(out)
}

/// Whether `path` holds a recording (its first line is a stamped input), gzipped or not.
/// Anything unreadable is "no": the caller's own reader then names the problem.
pub fn is_recording(path: &Path) -> bool {
    let Ok(mut file) = File::open(path) else {
        return false;
    };
    let mut magic = [0u8; 2];
    let gz = std::io::Read::read_exact(&mut file, &mut magic).is_ok() && magic == [0x1f, 0x8b];
    let Ok(file) = File::open(path) else {
        return false;
    };
    // A first line longer than any stamped input is no recording: read no more than that
    // (a hostile file may hold no newline at all). A raw frame can be long: the instrument
    // channel's snapshot lists every pair of the exchange.
    const MAX_FIRST_LINE: u64 = 8 << 20;
    use std::io::Read as _;
    let mut reader: Box<dyn BufRead> = if gz {
        Box::new(BufReader::new(
            MultiGzDecoder::new(file).take(MAX_FIRST_LINE),
        ))
    } else {
        Box::new(BufReader::new(file.take(MAX_FIRST_LINE)))
    };
    // A stamped input is a JSON object: a file starting otherwise (a JSON array of bars, a
    // CSV header) is decided on its first bytes, not after megabytes of one long line.
    let starts_an_object = match reader.fill_buf() {
        Ok(head) => head
            .iter()
            .find(|b| !b.is_ascii_whitespace())
            .is_some_and(|&b| b == b'{'),
        Err(_) => false,
    };
    let mut line = String::new();
    starts_an_object
        && reader.read_line(&mut line).is_ok()
        && serde_json::from_str::<Stamped>(line.trim_end()).is_ok()
}
