//! Which client sent a request: the connection's peer, or, behind a trusted reverse
//! proxy, the address the proxy reports in `X-Forwarded-For`.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::RequestExt as _;
use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::graphql::ClientAddress;

/// The client address of a request whose peer is `peer`: when the peer is a trusted
/// proxy, the nearest address in `X-Forwarded-For` that is not one of the trusted proxies.
pub fn client_address(peer: Option<IpAddr>, forwarded_for: Option<&str>, trusted: &[IpAddr]) -> Option<IpAddr> {
    let peer = peer?;
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let hops: Vec<IpAddr> =
        forwarded_for.unwrap_or_default().split(',').filter_map(|hop| hop.trim().parse().ok()).collect();
    Some(hops.into_iter().rev().find(|hop| !trusted.contains(hop)).unwrap_or(peer))
}

pub async fn find_address(State(trusted): State<Arc<Vec<IpAddr>>>, mut request: Request, next: Next) -> Response {
    let peer = request.extract_parts::<ConnectInfo<SocketAddr>>().await.ok().map(|info| info.0.ip());
    let forwarded = request.headers().get("x-forwarded-for").and_then(|v| v.to_str().ok());
    let address = client_address(peer, forwarded, &trusted);
    request.extensions_mut().insert(ClientAddress(address));
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_for_counts_only_behind_a_trusted_proxy() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let proxy = [ip("10.0.0.1")];
        assert_eq!(client_address(Some(ip("198.51.100.9")), Some("1.2.3.4"), &proxy), Some(ip("198.51.100.9")));
        assert_eq!(client_address(Some(ip("10.0.0.1")), Some("1.2.3.4, 203.0.113.5"), &proxy), Some(ip("203.0.113.5")));
        assert_eq!(
            client_address(Some(ip("10.0.0.1")), Some("203.0.113.5, 10.0.0.1"), &proxy),
            Some(ip("203.0.113.5"))
        );
        assert_eq!(client_address(Some(ip("10.0.0.1")), Some("garbage"), &proxy), Some(ip("10.0.0.1")));
        assert_eq!(client_address(None, Some("1.2.3.4"), &proxy), None);
    }
}
