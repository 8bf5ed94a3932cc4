//! Choosing each Wok's subnet from a configured pool.
//!
//! The engine's default address pools run out after about 31 networks, so
//! every Wok network is created with an explicit subnet: the first block of
//! the pool that overlaps no network the engine already has.

use std::net::Ipv4Addr;

use ipnet::{IpNet, Ipv4Net};

use crate::Error;

/// A range of IPv4 addresses cut into equal subnets, one per Wok.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubnetPool {
    pool: Ipv4Net,
    prefix: u8,
}

impl SubnetPool {
    /// `pool` (e.g. `10.200.0.0/16`) cut into subnets of length `prefix`
    /// (e.g. 26: 64 addresses, 1024 Woks). `prefix` must lie between the
    /// pool's own length and 29.
    pub fn new(pool: &str, prefix: u8) -> Result<Self, Error> {
        let pool: Ipv4Net = pool.parse().map_err(|_| Error::Config(format!("`{pool}` is not an IPv4 subnet")))?;
        if prefix < pool.prefix_len() || prefix > 29 {
            return Err(Error::Config(format!("a /{prefix} subnet does not fit in {pool} (or is smaller than /29)")));
        }
        Ok(Self { pool: pool.trunc(), prefix })
    }

    /// The pool.
    pub fn pool(&self) -> Ipv4Net {
        self.pool
    }

    /// The prefix length of one Wok's subnet.
    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    /// How many Woks the pool holds.
    pub fn capacity(&self) -> u64 {
        1u64 << (self.prefix - self.pool.prefix_len())
    }

    /// The first subnet of the pool that overlaps none of `taken`.
    pub fn first_free(&self, taken: &[IpNet]) -> Option<Ipv4Net> {
        let taken: Vec<Ipv4Net> = taken
            .iter()
            .filter_map(|net| match net {
                IpNet::V4(net) => Some(net.trunc()),
                IpNet::V6(_) => None,
            })
            .collect();
        self.pool.subnets(self.prefix).ok()?.find(|candidate| !taken.iter().any(|t| overlaps(candidate, t)))
    }

    /// The error for a pool with no subnet left.
    pub(crate) fn exhausted(&self) -> Error {
        Error::SubnetsExhausted { pool: self.pool.to_string(), prefix: self.prefix }
    }
}

impl Default for SubnetPool {
    /// `10.200.0.0/16` in /26 subnets: 1024 Woks of up to 61 containers.
    fn default() -> Self {
        Self { pool: Ipv4Net::new_assert(Ipv4Addr::new(10, 200, 0, 0), 16), prefix: 26 }
    }
}

fn overlaps(a: &Ipv4Net, b: &Ipv4Net) -> bool {
    a.contains(&b.network()) || b.contains(&a.network())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn refuses_bad_pools() {
        assert!(matches!(SubnetPool::new("10.0.0.0/33", 24), Err(Error::Config(_))));
        assert!(matches!(SubnetPool::new("not a net", 24), Err(Error::Config(_))));
        assert!(matches!(SubnetPool::new("10.0.0.0/24", 16), Err(Error::Config(_))));
        assert!(matches!(SubnetPool::new("10.0.0.0/24", 30), Err(Error::Config(_))));
        assert_eq!(SubnetPool::new("10.0.0.0/16", 26).map(|p| p.capacity()).ok(), Some(1024));
    }

    #[test]
    fn skips_taken_subnets_and_runs_out() {
        let pool = SubnetPool::new("10.9.0.0/24", 26).unwrap();
        let mut taken: Vec<IpNet> = vec!["10.9.0.0/16".parse().unwrap()];
        assert_eq!(pool.first_free(&taken), None);
        taken = vec!["10.9.0.0/26".parse().unwrap(), "10.9.0.70/32".parse().unwrap()];
        assert_eq!(pool.first_free(&taken), Some("10.9.0.128/26".parse().unwrap()));
    }

    proptest! {
        #[test]
        fn the_chosen_subnet_is_in_the_pool_and_overlaps_nothing_taken(
            taken in proptest::collection::vec((0u32..=u32::MAX, 8u8..=30), 0..40),
            prefix in 20u8..=29,
        ) {
            let pool = SubnetPool::new("10.200.0.0/16", prefix.max(16)).unwrap();
            let taken: Vec<IpNet> = taken
                .into_iter()
                .map(|(addr, len)| {
                    // Bias half of the taken nets into the pool so collisions happen.
                    let addr = if addr % 2 == 0 { (addr & 0x0000_ffff) | 0x0ac8_0000 } else { addr };
                    IpNet::V4(Ipv4Net::new_assert(Ipv4Addr::from(addr), len).trunc())
                })
                .collect();
            if let Some(chosen) = pool.first_free(&taken) {
                prop_assert!(pool.pool().contains(&chosen));
                prop_assert_eq!(chosen.prefix_len(), pool.prefix());
                for t in &taken {
                    if let IpNet::V4(t) = t {
                        prop_assert!(!overlaps(&chosen, t));
                    }
                }
            } else {
                // Exhausted means every candidate overlaps something taken.
                let all = pool.pool().subnets(pool.prefix()).unwrap();
                for candidate in all {
                    prop_assert!(taken.iter().any(|t| matches!(t, IpNet::V4(t) if overlaps(&candidate, t))));
                }
            }
        }
    }
}
