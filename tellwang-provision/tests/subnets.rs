//! Fifty Woks on one host each get their own subnet. Networks only (the
//! first step of provisioning), to keep the run short: what is under test is
//! the subnet allocation, which containers do not take part in.

mod support;

use futures_util::future::try_join_all;
use ipnet::Ipv4Net;
use tellwang_provision::{Provisioner, SubnetPool, images};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_woks_get_fifty_distinct_subnets_from_the_pool() {
    let Some((docker, secrets)) = support::engine().await else { return };
    let woks: Vec<_> = (0..50).map(|i| support::wok(&format!("w{i}"), &secrets)).collect();
    let spec = images::realtime_wok_spec();
    // All at once, to race the allocator against itself.
    let networks = try_join_all(woks.iter().map(|w| docker.provision_network(w, &spec))).await;
    let cleanup = try_join_all(woks.iter().map(|w| docker.deprovision(&w.id, false)));
    let networks = match networks {
        Ok(n) => n,
        Err(error) => {
            cleanup.await.unwrap();
            panic!("{error}");
        }
    };
    let pool = SubnetPool::default().pool();
    let subnets: Vec<Ipv4Net> = networks.iter().map(|n| n.subnet.parse().unwrap()).collect();
    for (i, a) in subnets.iter().enumerate() {
        assert!(pool.contains(a), "{a} is outside the pool {pool}");
        for b in &subnets[i + 1..] {
            assert!(!a.contains(&b.network()) && !b.contains(&a.network()), "{a} overlaps {b}");
        }
    }
    assert!(networks.iter().all(|n| n.internal));
    cleanup.await.unwrap();
    for w in &woks {
        assert!(docker.status(&w.id).await.unwrap().is_absent());
    }
}
