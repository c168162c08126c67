//! The files a run writes: the JSON summary (`--json`), the HTML report (`--report`) and the
//! journal (`--journal`).
//!
//! A mistyped path must never crash a run, waste one, or destroy data. The invariants:
//!
//! 1. **An output never names an input.** Every output is compared with every input (the
//!    data file, the configuration files) by identity: device and inode when the file
//!    exists, so `./data.csv`, a symbolic link and a hard link are all caught; canonical
//!    directory and name when it does not yet. No two outputs name the same file either.
//! 2. **Checked before any work.** [`OutputSet::prepare`] runs before data is read. It
//!    creates each output's temporary file in the target's directory, so a missing or
//!    unwritable directory fails at once instead of after an hour-long run.
//! 3. **Atomic replacement.** A regular file is written to a temporary file in its own
//!    directory, fsynced and renamed over the target: the name holds either the old file or
//!    the complete new one, never half of one. A run that fails drops its temporary files
//!    (deleting them) and leaves every existing file as it was. Permissions of a replaced
//!    file are kept; a new file gets `0666` less the umask, as `std::fs::write` would.
//! 4. **Streams are written in place.** `-` (standard output) and an existing non-regular
//!    target (`/dev/null`, `/dev/stdout`, a pipe) are written directly: they hold no data to
//!    destroy, and renaming over a device node (we may run as root) would replace the node.
//! 5. **Keep what can be written.** The outputs are independent: when the journal fails (a
//!    full disk), the summary and report are still written and the run then fails naming
//!    the journal. [`OutputSet::finish`] says why a failed journal is discarded.
//!
//! A read-only existing file is refused rather than replaced: the user marked it as not to
//! be overwritten, and rename (unlike `open`) would not notice.
//!
//! Known limits: a run killed by a signal leaves its temporary files (`.NAME.XXXXXX.tmp`
//! beside each target; the targets themselves are intact); a named pipe with no reader
//! blocks the open, as it would for any program writing to it.

use std::fs::{self, File, OpenOptions, Permissions};
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context};
use flywheel_engine::journal::JsonLines;
use tempfile::NamedTempFile;

/// A file the run reads, with what named it (for messages), e.g. `--data`, `side B --config`.
#[derive(Debug, Clone)]
pub struct Input {
    pub what: String,
    pub path: PathBuf,
}

impl Input {
    pub fn new(what: impl Into<String>, path: &Path) -> Input {
        Input {
            what: what.into(),
            path: path.to_path_buf(),
        }
    }
}

/// How the journal stream ended: `None` when no journal was asked for, else the number of
/// lines written or the first write error.
pub type JournalEnd = Option<io::Result<u64>>;

/// The journal's line writer over `out`: JSON lines through a 1 MiB buffer.
pub fn journal_sink<W: Write>(out: W) -> JsonLines<BufWriter<W>> {
    JsonLines::new(BufWriter::with_capacity(1 << 20, out))
}

/// Flush the journal: the lines written, or the first error of the whole stream (the sink
/// keeps the first failed write and stops writing; the final flush can fail too).
pub fn close_journal<W: Write>(sink: JsonLines<BufWriter<W>>) -> io::Result<u64> {
    let lines = sink.lines;
    sink.into_inner()?
        .into_inner()
        .map_err(io::IntoInnerError::into_error)?;
    Ok(lines)
}

/// `-` means standard output.
fn is_stdout(path: &Path) -> bool {
    path == Path::new("-")
}

/// Paths under `/dev` and `/proc` name streams even when they resolve to a regular file
/// (`/dev/stdout` redirected to a file resolves to that file): write them in place, as the
/// user's shell set them up, instead of renaming over whatever they point to.
fn names_a_stream(path: &Path) -> bool {
    path.starts_with("/dev") || path.starts_with("/proc")
}

/// What a path names on disk now.
#[derive(Debug)]
enum Located {
    Stdout,
    /// An existing non-regular file (device, pipe) or a `/dev` path: written in place.
    Stream {
        id: (u64, u64),
    },
    /// An existing regular file, symbolic links followed (`target` is the resolved path).
    File {
        id: (u64, u64),
        target: PathBuf,
        perms: Permissions,
    },
    /// A file yet to be created: canonical directory plus name.
    New {
        target: PathBuf,
    },
    Dir {
        id: (u64, u64),
    },
}

/// Identity for comparisons: device and inode of an existing file, else its future path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Identity {
    Stdout,
    Inode(u64, u64),
    New(PathBuf),
}

impl Located {
    fn identity(&self) -> Identity {
        match self {
            Located::Stdout => Identity::Stdout,
            Located::Stream { id } | Located::File { id, .. } | Located::Dir { id } => {
                Identity::Inode(id.0, id.1)
            }
            Located::New { target } => Identity::New(target.clone()),
        }
    }
    /// Written in place (several outputs may share one, e.g. `/dev/null`).
    fn is_stream(&self) -> bool {
        matches!(self, Located::Stdout | Located::Stream { .. })
    }
}

/// Find out what `path` names. Errors are one self-contained phrase (no path: the caller
/// adds the option and path).
fn locate(path: &Path) -> anyhow::Result<Located> {
    if is_stdout(path) {
        return Ok(Located::Stdout);
    }
    match fs::metadata(path) {
        Ok(meta) => {
            let id = (meta.dev(), meta.ino());
            if meta.is_dir() {
                Ok(Located::Dir { id })
            } else if !meta.is_file() || names_a_stream(path) {
                Ok(Located::Stream { id })
            } else {
                let target = fs::canonicalize(path).context("cannot resolve the path")?;
                Ok(Located::File {
                    id,
                    target,
                    perms: meta.permissions(),
                })
            }
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            if fs::symlink_metadata(path).is_ok() {
                bail!("a symbolic link to a missing file; give the target's path");
            }
            let Some(name) = path.file_name() else {
                bail!("not a file name");
            };
            let parent = match path.parent() {
                Some(p) if !p.as_os_str().is_empty() => p,
                _ => Path::new("."),
            };
            let dir = fs::canonicalize(parent)
                .with_context(|| format!("cannot use directory {}", parent.display()))?;
            if !dir.is_dir() {
                bail!("{} is not a directory", parent.display());
            }
            Ok(Located::New {
                target: dir.join(name),
            })
        }
        Err(e) => Err(anyhow!(e)),
    }
}

/// An output opened for writing; see the module docs for how each kind is written.
#[derive(Debug)]
pub struct OutputFile {
    /// `--json out.json`, as the user wrote it (for messages).
    place: String,
    dest: Dest,
}

#[derive(Debug)]
enum Dest {
    Stdout,
    InPlace(File),
    Replace {
        temp: NamedTempFile,
        target: PathBuf,
        /// The replaced file's permissions (`None`: a new file).
        perms: Option<Permissions>,
    },
}

impl OutputFile {
    fn open(option: &str, path: &Path, located: Located) -> anyhow::Result<OutputFile> {
        let place = format!("{option} {}", path.display());
        let dest = match located {
            Located::Stdout => Dest::Stdout,
            Located::Stream { .. } => Dest::InPlace(
                // Append: `/dev/stdout` redirected to a file (`> out`) then keeps what was
                // printed before instead of writing over it from the start.
                OpenOptions::new()
                    .append(true)
                    .open(path)
                    .with_context(|| format!("{place}: cannot open for writing"))?,
            ),
            Located::File { target, perms, .. } => {
                if perms.readonly() {
                    bail!("{place}: the file is read-only; remove it or choose another path");
                }
                let temp =
                    temp_beside(&target).with_context(|| format!("{place}: cannot write"))?;
                Dest::Replace {
                    temp,
                    target,
                    perms: Some(perms),
                }
            }
            Located::New { target } => {
                let temp =
                    temp_beside(&target).with_context(|| format!("{place}: cannot write"))?;
                Dest::Replace {
                    temp,
                    target,
                    perms: None,
                }
            }
            Located::Dir { .. } => bail!("{place}: is a directory"),
        };
        Ok(OutputFile { place, dest })
    }

    /// `--json out.json`: the option and the path as given.
    pub fn place(&self) -> &str {
        &self.place
    }

    /// A second handle to stream into (the journal). Flush it before [`OutputFile::commit`].
    pub fn stream(&self) -> anyhow::Result<Box<dyn Write>> {
        let handle: Box<dyn Write> = match &self.dest {
            Dest::Stdout => Box::new(io::stdout()),
            Dest::InPlace(file) => Box::new(file.try_clone()?),
            Dest::Replace { temp, .. } => Box::new(temp.as_file().try_clone()?),
        };
        Ok(handle)
    }

    /// Write all of `bytes`, then commit.
    pub fn write_all(mut self, bytes: &[u8]) -> anyhow::Result<()> {
        let res = match &mut self.dest {
            Dest::Stdout => io::stdout().lock().write_all(bytes),
            Dest::InPlace(file) => file.write_all(bytes),
            Dest::Replace { temp, .. } => temp.as_file_mut().write_all(bytes),
        };
        res.with_context(|| format!("{}: cannot write", self.place))?;
        self.commit()
    }

    /// Make what was written durable and put it under the user's name.
    pub fn commit(self) -> anyhow::Result<()> {
        let place = self.place;
        let res = match self.dest {
            Dest::Stdout => io::stdout().flush(),
            // A device or pipe: nothing to sync (fsync on /dev/null fails with EINVAL).
            Dest::InPlace(mut file) => file.flush(),
            Dest::Replace {
                temp,
                target,
                perms,
            } => replace(temp, &target, perms),
        };
        res.with_context(|| format!("{place}: cannot write"))
    }

    /// Give up on the journal after `err`; the message says what is left on disk.
    fn abandon_journal(self, err: &io::Error) -> String {
        match self.dest {
            // Dropping the temporary file deletes it; the user's file was never touched.
            Dest::Replace { perms: Some(_), .. } => format!(
                "{}: cannot write: {err}; the incomplete journal was discarded and the \
                 existing file left as it was",
                self.place
            ),
            Dest::Replace { perms: None, .. } => format!(
                "{}: cannot write: {err}; the incomplete journal was discarded",
                self.place
            ),
            Dest::Stdout | Dest::InPlace(_) => format!(
                "{}: cannot write: {err}; what was written there is incomplete",
                self.place
            ),
        }
    }
}

/// A temporary file beside `target` (same directory, so the rename is atomic), named after
/// it so a leftover one (after a kill) is recognisable.
fn temp_beside(target: &Path) -> io::Result<NamedTempFile> {
    let dir = target.parent().unwrap_or(Path::new("/"));
    // Keep the name short: the prefix and random part must fit in NAME_MAX.
    let name: String = target
        .file_name()
        .map(|n| n.to_string_lossy().chars().take(64).collect())
        .unwrap_or_default();
    tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .permissions(Permissions::from_mode(0o666))
        .tempfile_in(dir)
}

/// fsync `temp`, give it `perms`, rename it over `target`, then fsync the directory so the
/// rename itself survives a crash.
fn replace(temp: NamedTempFile, target: &Path, perms: Option<Permissions>) -> io::Result<()> {
    temp.as_file().sync_all()?;
    if let Some(perms) = perms {
        temp.as_file().set_permissions(perms)?;
    }
    temp.persist(target).map_err(|e| e.error)?;
    if let Some(dir) = target.parent() {
        // The file is already in place under its name; a directory that cannot be synced
        // (some filesystems refuse) must not turn a written output into a reported failure.
        let _ = File::open(dir).and_then(|d| d.sync_all());
    }
    Ok(())
}

/// Check the `requested` outputs (option name, path) against `inputs` and each other, then
/// open them all (creating their temporary files), in the order given. Every command's
/// outputs go through here ([`OutputSet::prepare`], `flywheel sweep`).
pub fn open_outputs<const N: usize>(
    inputs: &[Input],
    requested: [(&str, Option<&Path>); N],
) -> anyhow::Result<[Option<OutputFile>; N]> {
    // An input that cannot be located fails later, when it is read, with its own error.
    let inputs: Vec<(&Input, Identity)> = inputs
        .iter()
        .filter_map(|i| locate(&i.path).ok().map(|l| (i, l.identity())))
        .collect();
    let mut seen: Vec<(String, Identity)> = Vec::new();
    let mut located: Vec<Option<(&str, &Path, Located)>> = Vec::with_capacity(N);
    for (option, path) in requested {
        let Some(path) = path else {
            located.push(None);
            continue;
        };
        let place = format!("{option} {}", path.display());
        let here = locate(path).with_context(|| place.clone())?;
        let id = here.identity();
        if let Some((input, _)) = inputs.iter().find(|(_, i)| *i == id) {
            bail!(
                "{place}: is the input {} {}; an output never overwrites an input",
                input.what,
                input.path.display()
            );
        }
        // Streams are written in place, so two outputs may share one (`/dev/null`).
        if !here.is_stream() {
            if let Some((other, _)) = seen.iter().find(|(_, i)| *i == id) {
                bail!("{other} and {place} name the same file; give each output its own");
            }
        }
        seen.push((place, id));
        located.push(Some((option, path, here)));
    }
    // Opened only once every path passed its checks, so a refused path leaves no file.
    let mut opened: [Option<OutputFile>; N] = std::array::from_fn(|_| None);
    for (slot, l) in opened.iter_mut().zip(located) {
        *slot = l
            .map(|(o, p, here)| OutputFile::open(o, p, here))
            .transpose()?;
    }
    Ok(opened)
}

/// Whether `path` names an existing regular file that an output would replace (not `-`,
/// not a stream such as `/dev/null`). `flywheel sweep` refuses those without `--force`.
pub fn would_replace(path: &Path) -> bool {
    matches!(locate(path), Ok(Located::File { .. }))
}

/// Every output of one run, opened before the run starts.
#[derive(Debug, Default)]
pub struct OutputSet {
    pub json: Option<OutputFile>,
    pub report: Option<OutputFile>,
    pub journal: Option<OutputFile>,
}

impl OutputSet {
    /// Check the requested outputs against `inputs` and each other, then open them all
    /// (creating their temporary files). Options are named `--json`, `--report` and
    /// `--journal` in messages.
    pub fn prepare(
        inputs: &[Input],
        json: Option<&Path>,
        report: Option<&Path>,
        journal: Option<&Path>,
    ) -> anyhow::Result<OutputSet> {
        let [json, report, journal] = open_outputs(
            inputs,
            [
                ("--json", json),
                ("--report", report),
                ("--journal", journal),
            ],
        )?;
        Ok(OutputSet {
            json,
            report,
            journal,
        })
    }

    /// Whether any output goes to standard output (then no summary table is printed there).
    pub fn uses_stdout(&self) -> bool {
        [&self.json, &self.report, &self.journal]
            .into_iter()
            .flatten()
            .any(|f| matches!(f.dest, Dest::Stdout))
    }

    /// The journal's writer, if a journal was asked for.
    pub fn journal_stream(&self) -> anyhow::Result<Option<Box<dyn Write>>> {
        self.journal
            .as_ref()
            .map(|j| {
                j.stream()
                    .with_context(|| format!("{}: cannot write", j.place()))
            })
            .transpose()
    }

    /// Write the summary and report and put the journal in place; every output is
    /// attempted even when another fails, and the error lists every failure.
    ///
    /// A journal whose stream failed is discarded (its temporary file deleted), not renamed
    /// over the user's file: JSON lines carry no end marker, so a truncated journal under
    /// the usual name would be read by replay and audit tools as the whole run, and the
    /// previous journal of that name would be lost for nothing. The summary holds the
    /// run's figures and is written. It is discarded *first*: on a full disk its space is
    /// what lets the summary and report still be written.
    pub fn finish(self, json: &str, html: Option<&str>, journal: JournalEnd) -> anyhow::Result<()> {
        let mut failures: Vec<String> = Vec::new();
        let journal = match (self.journal, journal) {
            (Some(file), Some(Ok(_))) => Some(file),
            (Some(file), Some(Err(e))) => {
                failures.push(file.abandon_journal(&e));
                None
            }
            (Some(file), None) => {
                failures.push(format!("{}: no journal was recorded", file.place()));
                None
            }
            (None, _) => None,
        };
        if let Some(file) = self.json {
            if let Err(e) = file.write_all(json.as_bytes()) {
                failures.push(format!("{e:#}"));
            }
        }
        match (self.report, html) {
            (Some(file), Some(html)) => {
                if let Err(e) = file.write_all(html.as_bytes()) {
                    failures.push(format!("{e:#}"));
                }
            }
            (Some(file), None) => {
                failures.push(format!("{}: no report was rendered", file.place()))
            }
            (None, _) => {}
        }
        if let Some(file) = journal {
            if let Err(e) = file.commit() {
                failures.push(format!("{e:#}"));
            }
        }
        if failures.is_empty() {
            Ok(())
        } else {
            Err(anyhow!(failures.join("; ")))
        }
    }
}

#[cfg(test)]
#[path = "outputs_tests.rs"]
mod tests;
