//! The word lists demo names are drawn from, and how a unique name is picked.

use std::collections::BTreeSet;

use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

pub(super) const NAME_HEADS: &[&str] = &[
    "Andes", "Atlas", "Boreal", "Cobalt", "Condor", "Delta", "Estrella", "Faro", "Granite",
    "Harbor", "Ibis", "Jaguar", "Keystone", "Lumen", "Maple", "Meridian", "Nova", "Orion", "Pampa",
    "Quetzal", "Ridge", "Sierra", "Solano", "Tierra", "Umbra", "Vértice", "Willow", "Xenon",
    "Yucatán", "Zenit", "Alba", "Brisa", "Cima", "Duna", "Elm", "Fjord", "Gaia", "Halcón", "Iris",
    "Jade",
];
pub(super) const NAME_TAILS: &[&str] = &[
    "Consulting",
    "Digital",
    "Systems",
    "Partners",
    "Soluciones",
    "Group",
    "Labs",
    "Advisors",
    "Integradores",
    "Tech",
    "Networks",
    "Services",
];
pub(super) const CUSTOMER_HEADS: &[&str] = &[
    "Panadería",
    "Ferretería",
    "Clínica",
    "Taller",
    "Estudio",
    "Farmacia",
    "Hotel",
    "Café",
    "Bodega",
    "Logística",
    "Academia",
    "Mercado",
    "Northwind",
    "Bluebird",
    "Summit",
    "Riverside",
    "Cedar",
    "Lakeside",
    "Ironwood",
    "Pioneer",
    "Bäckerei",
    "Atelier",
    "Maison",
    "Studio",
];
pub(super) const CUSTOMER_TAILS: &[&str] = &[
    "Luna", "del Sol", "Central", "Norte", "Sur", "Plaza", "& Co", "Works", "Supply", "Foods",
    "Dental", "Motors", "Verde", "Azul", "Roma", "Lyon", "Porto", "Berlin", "Austin", "Quebec",
];
pub(super) const FIRST_NAMES: &[&str] = &[
    "Ana", "Bruno", "Carla", "Diego", "Elena", "Fernando", "Gabriela", "Héctor", "Inés", "Javier",
    "Karen", "Luis", "María", "Nicolás", "Olivia", "Pablo", "Rosa", "Sofía", "Tomás", "Valeria",
];
pub(super) const LAST_NAMES: &[&str] = &[
    "García",
    "Martínez",
    "López",
    "Silva",
    "Costa",
    "Müller",
    "Rossi",
    "Dubois",
    "Smith",
    "Johnson",
    "Tremblay",
    "Fernández",
    "Moreno",
    "Herrera",
    "Castro",
    "Novak",
];
pub(super) const ACCOUNT_MANAGERS: &[&str] = &[
    "Alicia Romero",
    "Ben Carter",
    "Camila Duarte",
    "Daniel Okafor",
    "Eva Lindqvist",
];

/// A unique name from `heads` × `tails`, numbered once the combinations run out.
pub(super) fn unique_name(
    rng: &mut ChaCha8Rng,
    heads: &[&str],
    tails: &[&str],
    taken: &mut BTreeSet<String>,
) -> String {
    for _ in 0..8 {
        let name = format!(
            "{} {}",
            heads.choose(rng).unwrap(),
            tails.choose(rng).unwrap()
        );
        if taken.insert(name.clone()) {
            return name;
        }
    }
    let base = format!(
        "{} {}",
        heads.choose(rng).unwrap(),
        tails.choose(rng).unwrap()
    );
    (2..)
        .map(|n| format!("{base} {n}"))
        .find(|name| taken.insert(name.clone()))
        .expect("an unused number exists")
}
