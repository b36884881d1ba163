//! Where a dumper's bytes go: a file, standard output, or anything that implements [`Sink`].

use std::fs::{File, OpenOptions};
use std::io::{self, Seek, Write};
use std::os::fd::AsFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use crate::error::{Errno, Error};

/// The output of a [`super::Dumper`]: a [`Write`] (each `write` call may be short, as
/// write(2)), plus a way to cut the output back after a failed write so that no torn record
/// stays in it.
pub trait Sink: Write {
    /// Cuts the output back to `len` bytes, counted from where the dumper started writing.
    /// Returns false when this output cannot be cut (a pipe, a terminal): the default.
    fn truncate(&mut self, len: u64) -> io::Result<bool> {
        let _ = len;
        Ok(false)
    }

    /// How error messages name this output, e.g. `"/tmp/x.pcap"`.
    fn name(&self) -> &str {
        "output"
    }
}

/// A file, or standard output, as a [`Sink`]. Regular files are cut back after a failed
/// write.
#[derive(Debug)]
pub struct FileSink {
    file: File,
    /// Offset at which the dumper started, for truncation; None when the file must not be
    /// truncated.
    start: Option<u64>,
    name: String,
}

impl FileSink {
    /// Creates or truncates `path` (mode 0644 minus the umask, close-on-exec). `-` is standard
    /// output: a duplicate of descriptor 1, so that dropping the sink leaves standard output
    /// open.
    pub fn open(path: &Path) -> Result<FileSink, Error> {
        if path.as_os_str() == "-" {
            return FileSink::stdout();
        }
        let name = format!("\"{}\"", path.display());
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o644)
            .open(path)
            .map_err(|e| {
                Error::with_detail(errno_of(&e), "pkt_dump_open", format!("cannot create {name}"))
            })?;
        let regular = file.metadata().map(|m| m.is_file()).unwrap_or(false);
        Ok(FileSink {
            file,
            start: regular.then_some(0),
            name,
        })
    }

    /// Standard output (descriptor 1, duplicated close-on-exec).
    pub fn stdout() -> Result<FileSink, Error> {
        let fd = io::stdout()
            .as_fd()
            .try_clone_to_owned()
            .map_err(|e| Error::with_detail(errno_of(&e), "pkt_dump_open", "standard output"))?;
        let mut file = File::from(fd);
        // A regular file is cut back only when the dumper writes at its end (`> file`); with
        // `>> file` the position says nothing about where writes land.
        let start = match file.metadata() {
            Ok(m) if m.is_file() => file.stream_position().ok().filter(|&p| p == m.len()),
            _ => None,
        };
        Ok(FileSink {
            file,
            start,
            name: "standard output".into(),
        })
    }

    /// The file.
    pub fn file(&self) -> &File {
        &self.file
    }
}

impl Write for FileSink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

impl Sink for FileSink {
    fn truncate(&mut self, len: u64) -> io::Result<bool> {
        match self.start {
            Some(start) => {
                self.file.set_len(start + len)?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    fn name(&self) -> &str {
        &self.name
    }
}

/// The errno of an I/O error (EIO when it carries none).
pub(crate) fn errno_of(e: &io::Error) -> Errno {
    Errno(e.raw_os_error().unwrap_or(libc::EIO))
}
