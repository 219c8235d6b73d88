//! Exit statuses and error reports.

use std::fmt::Display;

/// The exit status of `reraise`: failures are collected, not short-circuited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Exit {
    Success,
    /// Some requested action failed.
    Failure,
    /// The command line was wrong.
    Usage,
}

impl Exit {
    pub fn code(self) -> i32 {
        match self {
            Exit::Success => 0,
            Exit::Failure => 1,
            Exit::Usage => 2,
        }
    }

    /// The worse of two outcomes.
    pub fn and(self, other: Exit) -> Exit {
        self.max(other)
    }
}

/// Prints `reraise: MESSAGE` to stderr.
pub fn report(message: impl Display) {
    eprintln!("reraise: {message}");
}

/// Prints a failure and returns `Exit::Failure`, for `return fail(..)`.
pub fn fail(message: impl Display) -> Exit {
    report(message);
    Exit::Failure
}

#[cfg(test)]
mod tests {
    use super::Exit;

    #[test]
    fn the_worst_outcome_wins() {
        assert_eq!(Exit::Success.and(Exit::Failure), Exit::Failure);
        assert_eq!(Exit::Usage.and(Exit::Failure), Exit::Usage);
        assert_eq!(Exit::Success.and(Exit::Success).code(), 0);
        assert_eq!(Exit::Failure.code(), 1);
        assert_eq!(Exit::Usage.code(), 2);
    }
}
