//! Service names: checked before any path is built from them.

/// Why a name cannot be a service name, or `None` when it can.
pub fn problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some("a service name cannot be empty")
    } else if name == "." || name == ".." {
        Some("`.` and `..` are not service names")
    } else if name.contains('/') {
        Some("a service name cannot contain `/`")
    } else if name.starts_with('.') {
        Some("names starting with `.` are hidden files, not services")
    } else if name.chars().any(|c| c.is_whitespace() || c.is_control()) {
        Some("a service name cannot contain white space or control characters")
    } else {
        None
    }
}

/// Whether `name` can name a service.
pub fn is_valid(name: &str) -> bool {
    problem(name).is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_names_pass() {
        for n in ["http-8000", "web_1", "a", "db.main", "ünïcode"] {
            assert!(is_valid(n), "{n}");
        }
    }

    #[test]
    fn dangerous_names_are_rejected() {
        for n in [
            "",
            ".",
            "..",
            "a/b",
            "/etc",
            ".hidden",
            "a b",
            "tab\there",
            "nl\n",
            "\u{7f}x",
            "nb\u{a0}sp",
        ] {
            assert!(!is_valid(n), "{n:?}");
        }
    }
}
