//! What the server counts about itself, served in the Prometheus text format at `/metrics`.

use prometheus_client::metrics::counter::Counter;
use prometheus_client::registry::Registry;

pub struct Metrics {
    registry: Registry,
    /// SQL statements sent to the database, counted by a hook on the connection.
    pub sql_statements: Counter,
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("newsroom");
        let sql_statements = Counter::default();
        registry.register("sql_statements", "SQL statements sent to the database", sql_statements.clone());
        Metrics { registry, sql_statements }
    }

    /// Everything counted so far, in the text exposition format.
    pub fn render(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}
