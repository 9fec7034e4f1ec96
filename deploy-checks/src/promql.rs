//! The metric names a PromQL expression selects — to say *which* metric a failing
//! dashboard or alert query names that nobody exports.
//!
//! Not a full parser: it skips strings, label matchers (`{…}`), ranges (`[…]`), the
//! label lists of `by`/`without`/`on`/`ignoring`/`group_left`/`group_right`, numbers
//! and durations, functions and aggregation operators (an identifier followed by `(`
//! or named in [`KEYWORDS`]); every other identifier is a metric name. That covers
//! the expressions Herald's dashboard and rules use; `{__name__="x"}` selectors are
//! not recognised.

use std::collections::BTreeSet;

/// Identifiers that are operators or keywords, never metric names.
const KEYWORDS: &[&str] = &[
    "sum",
    "min",
    "max",
    "avg",
    "group",
    "stddev",
    "stdvar",
    "count",
    "count_values",
    "bottomk",
    "topk",
    "quantile",
    "limitk",
    "limit_ratio",
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "bool",
    "and",
    "or",
    "unless",
    "offset",
    "atan2",
    "inf",
    "nan",
];

/// Keywords followed by a parenthesised list of label names.
const LABEL_LISTS: &[&str] = &[
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
];

pub fn metric_names(expr: &str) -> BTreeSet<String> {
    let chars: Vec<char> = expr.chars().collect();
    let mut names = BTreeSet::new();
    let mut i = 0;
    let next_non_space = |from: usize| chars[from..].iter().find(|c| !c.is_whitespace()).copied();
    while i < chars.len() {
        let c = chars[i];
        match c {
            '"' | '\'' | '`' => {
                i += 1;
                while i < chars.len() && chars[i] != c {
                    if chars[i] == '\\' {
                        i += 1;
                    }
                    i += 1;
                }
                i += 1;
            }
            '{' | '[' => {
                let close = if c == '{' { '}' } else { ']' };
                while i < chars.len() && chars[i] != close {
                    i += 1;
                }
                i += 1;
            }
            '#' => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            c if c.is_ascii_digit()
                || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) =>
            {
                // A number or a duration (5m, 1e3, 0.99): digits, letters, dots, and an
                // exponent's sign.
                while i < chars.len()
                    && (chars[i].is_ascii_alphanumeric()
                        || chars[i] == '.'
                        || (matches!(chars[i], '+' | '-') && matches!(chars[i - 1], 'e' | 'E')))
                {
                    i += 1;
                }
            }
            c if c.is_ascii_alphabetic() || c == '_' || c == ':' => {
                let start = i;
                while i < chars.len()
                    && (chars[i].is_ascii_alphanumeric() || chars[i] == '_' || chars[i] == ':')
                {
                    i += 1;
                }
                let ident: String = chars[start..i].iter().collect();
                let lower = ident.to_ascii_lowercase();
                if LABEL_LISTS.contains(&lower.as_str()) && next_non_space(i) == Some('(') {
                    while i < chars.len() && chars[i] != ')' {
                        i += 1;
                    }
                    i += 1;
                } else if !KEYWORDS.contains(&lower.as_str()) && next_non_space(i) != Some('(') {
                    names.insert(ident);
                }
            }
            _ => i += 1,
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(expr: &str) -> Vec<String> {
        metric_names(expr).into_iter().collect()
    }

    #[test]
    fn finds_the_metrics_and_nothing_else() {
        assert_eq!(
            names(
                r#"histogram_quantile(0.99, sum by (le, route) (rate(herald_api_request_duration_seconds_bucket{route=~"/v1.*"}[$__rate_interval])))"#
            ),
            vec!["herald_api_request_duration_seconds_bucket"]
        );
        assert_eq!(
            names("sum by (outcome) (rate(a_total[5m])) / ignoring(outcome) group_left sum(rate(b_total[5m]))"),
            vec!["a_total", "b_total"]
        );
        assert_eq!(
            names(r#"max(q{state="pending"}) > 1e3 and max(deriv(q[15m] offset 5m)) > 0"#),
            vec!["q"]
        );
        assert_eq!(names(r#"absent(up{job="herald-worker"} == 1)"#), vec!["up"]);
        assert_eq!(
            names("worker_cpu_usage_percent"),
            vec!["worker_cpu_usage_percent"]
        );
        assert_eq!(names("count(up == 1) * 2"), vec!["up"]);
    }
}
