//! Request counts and latencies by route, in Prometheus text format.
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Arc, Mutex};
use std::time::Instant;

const BUCKETS_SECONDS: [f64; 10] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0];

#[derive(Default)]
struct Series {
    count: u64,
    sum_seconds: f64,
    buckets: [u64; BUCKETS_SECONDS.len()],
}

/// Method, route pattern and status code.
type SeriesKey = (String, String, u16);

#[derive(Clone, Default)]
pub struct Metrics {
    // (method, route, status) → series. A BTreeMap keeps the output stable for readers.
    series: Arc<Mutex<BTreeMap<SeriesKey, Series>>>,
}

impl Metrics {
    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let Ok(mut series) = self.series.lock() else {
            return;
        };
        let entry = series
            .entry((method.to_string(), route.to_string(), status))
            .or_default();
        entry.count += 1;
        entry.sum_seconds += seconds;
        for (bucket, bound) in entry.buckets.iter_mut().zip(BUCKETS_SECONDS) {
            if seconds <= bound {
                *bucket += 1;
            }
        }
    }

    pub fn render(&self, pools: &[(&str, u32, usize)]) -> String {
        let mut out = String::new();
        let series = self
            .series
            .lock()
            .map(|s| {
                s.iter()
                    .map(|(k, v)| (k.clone(), v.count, v.sum_seconds, v.buckets))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        out.push_str("# HELP http_requests_total HTTP requests by method, route and status.\n# TYPE http_requests_total counter\n");
        for ((method, route, status), count, _, _) in &series {
            let _ = writeln!(out, "http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {count}", escape(route));
        }
        out.push_str("# HELP http_request_duration_seconds Time to produce a response.\n# TYPE http_request_duration_seconds histogram\n");
        for ((method, route, status), count, sum, buckets) in &series {
            let labels = format!(
                "method=\"{method}\",route=\"{}\",status=\"{status}\"",
                escape(route)
            );
            for (bound, hits) in BUCKETS_SECONDS.iter().zip(buckets) {
                let _ = writeln!(
                    out,
                    "http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {hits}"
                );
            }
            let _ = writeln!(
                out,
                "http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {count}"
            );
            let _ = writeln!(out, "http_request_duration_seconds_sum{{{labels}}} {sum}");
            let _ = writeln!(
                out,
                "http_request_duration_seconds_count{{{labels}}} {count}"
            );
        }
        out.push_str("# HELP db_pool_connections Database pool connections by state.\n# TYPE db_pool_connections gauge\n");
        for (pool, size, idle) in pools {
            let _ = writeln!(
                out,
                "db_pool_connections{{pool=\"{pool}\",state=\"open\"}} {size}"
            );
            let _ = writeln!(
                out,
                "db_pool_connections{{pool=\"{pool}\",state=\"idle\"}} {idle}"
            );
        }
        out
    }
}

fn escape(label: &str) -> String {
    label.replace('\\', "\\\\").replace('"', "\\\"")
}

/// Records every routed request. Unrouted requests (static files, 404s) are grouped.
/// The method label: the standard methods by name, anything else as `other`, so a client
/// cannot mint new series with made-up method tokens.
pub fn method_label(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// The route label: the matched pattern, with the per-build hash Leptos appends to server
/// function paths (`/api/load_player1234…`) removed, so series survive a deployment.
pub fn route_label(pattern: &str) -> String {
    match pattern.strip_prefix("/api/") {
        Some(name) => format!(
            "/api/{}",
            name.trim_end_matches(|c: char| c.is_ascii_digit())
        ),
        None => pattern.to_string(),
    }
}

pub async fn track(State(metrics): State<Metrics>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = method_label(request.method());
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| route_label(path.as_str()))
        .unwrap_or_else(|| {
            if request.uri().path().starts_with("/pkg/") {
                "/pkg/*".to_string()
            } else {
                "unmatched".to_string()
            }
        });
    let response = next.run(request).await;
    metrics.observe(
        method,
        &route,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_bounded_and_stable_across_builds() {
        assert_eq!(method_label(&axum::http::Method::GET), "GET");
        let made_up = axum::http::Method::from_bytes(b"BREW").unwrap();
        assert_eq!(method_label(&made_up), "other");
        assert_eq!(route_label("/api/load_player17368241"), "/api/load_player");
        assert_eq!(route_label("/learn/:path_id"), "/learn/:path_id");
    }

    #[test]
    fn histogram_counts_fall_into_cumulative_buckets() {
        let metrics = Metrics::default();
        metrics.observe("GET", "/", 200, 0.003);
        metrics.observe("GET", "/", 200, 0.2);
        let text = metrics.render(&[("read", 4, 3)]);
        assert!(text.contains("http_requests_total{method=\"GET\",route=\"/\",status=\"200\"} 2"));
        assert!(text.contains("le=\"0.001\"} 0"));
        assert!(text.contains("le=\"0.005\"} 1"));
        assert!(text.contains("le=\"0.25\"} 2"));
        assert!(text.contains("le=\"+Inf\"} 2"));
        assert!(text.contains("db_pool_connections{pool=\"read\",state=\"idle\"} 3"));
    }
}
