//! Pattern definitions: `NAME regex` lines.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// A set of named definitions.
#[derive(Clone, Debug, Default)]
pub struct Library {
    /// Name to (regex, whether it is the built-in legacy definition).
    defs: HashMap<String, (String, bool)>,
}

/// A patterns file or directory that could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LibraryError {
    #[error("cannot read {path}: {error}")]
    /// A patterns file or directory could not be read.
    Io {
        /// The file or directory.
        path: PathBuf,
        /// Why.
        error: std::io::Error,
    },
    #[error("{path}:{line}: expected `NAME regex`")]
    /// A line that is not `NAME REGEX`.
    Syntax {
        /// The file.
        path: PathBuf,
        /// The line number.
        line: usize,
    },
}

impl Library {
    /// No definitions.
    pub fn empty() -> Self {
        Library::default()
    }

    /// The standard library: logstash-patterns-core as the `grok` crate bundles it.
    pub fn builtin() -> Self {
        let mut l = Library::empty();
        for (name, re) in grok::patterns() {
            l.defs.insert((*name).to_owned(), ((*re).to_owned(), true));
        }
        l
    }

    /// Adds or replaces a definition (a user's or a loaded file's).
    pub fn insert(&mut self, name: &str, regex: &str) {
        self.defs.insert(name.to_owned(), (regex.to_owned(), false));
    }

    /// The definition of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.defs.get(name).map(|(re, _)| re.as_str())
    }

    /// Whether `name` is still the built-in definition, which names its captures the
    /// legacy (non-ECS) way.
    pub fn is_builtin(&self, name: &str) -> bool {
        self.defs.get(name).is_some_and(|(_, b)| *b)
    }

    /// How many patterns it defines.
    pub fn len(&self) -> usize {
        self.defs.len()
    }

    /// True when it defines none.
    pub fn is_empty(&self) -> bool {
        self.defs.is_empty()
    }

    /// Every pattern name.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.defs.keys().map(String::as_str)
    }

    /// Adds the definitions of `text`: `NAME regex` per line, `#` comments, blank lines.
    pub fn load_str(&mut self, text: &str, origin: &Path) -> Result<(), LibraryError> {
        for (i, line) in text.lines().enumerate() {
            let line = line.trim_end_matches('\r');
            let t = line.trim_start();
            if t.is_empty() || t.starts_with('#') {
                continue;
            }
            let Some((name, re)) = t.split_once([' ', '\t']) else {
                return Err(LibraryError::Syntax {
                    path: origin.to_owned(),
                    line: i + 1,
                });
            };
            self.insert(name, re.trim_start());
        }
        Ok(())
    }

    /// Adds every file of `dir` whose name `wanted` accepts (sorted by name; later files
    /// override earlier ones), or the one file when `dir` is a file.
    pub fn load_dir(
        &mut self,
        dir: &Path,
        wanted: impl Fn(&str) -> bool,
    ) -> Result<(), LibraryError> {
        let io = |error| LibraryError::Io {
            path: dir.to_owned(),
            error,
        };
        let mut files = Vec::new();
        if dir.is_file() {
            files.push(dir.to_owned());
        } else {
            for e in std::fs::read_dir(dir).map_err(io)? {
                let p = e.map_err(io)?.path();
                let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                if p.is_file() && wanted(name) {
                    files.push(p);
                }
            }
        }
        files.sort();
        for f in files {
            let text = std::fs::read_to_string(&f).map_err(|error| LibraryError::Io {
                path: f.clone(),
                error,
            })?;
            self.load_str(&text, &f)?;
        }
        Ok(())
    }
}
