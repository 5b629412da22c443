//! Who is asking: tokens, roles and scope.

use program::contract::{Me, ProblemCode, Role};
use reqwest::StatusCode;

use crate::common::{problem, start};

#[tokio::test]
async fn me_reports_each_roles_user_and_scope() {
    let h = start().await;
    let partners = h.partners();

    let manager = h.manager().await;
    let me: Me = h.get(&manager, "/v1/me").await.json().await.unwrap();
    assert_eq!(me.role, Role::PlatformAccountManager);
    assert_eq!(me.user, "alicia");
    let mut expected = partners.clone();
    expected.sort();
    assert_eq!(me.partners, expected);

    for role in [Role::PartnerAdmin, Role::PartnerSales] {
        let token = h.partner_user(role, partners[3]).await;
        let me: Me = h.get(&token, "/v1/me").await.json().await.unwrap();
        assert_eq!(me.role, role);
        assert_eq!(me.partners, vec![partners[3]]);
    }
}

#[tokio::test]
async fn a_missing_or_unknown_token_gets_401_problem() {
    let h = start().await;
    let response = h.http.get(h.url("/v1/me")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    assert_eq!(problem(response).await.code, ProblemCode::Unauthorized);

    for path in ["/v1/me", "/v1/program", "/v1/changes"] {
        let response = h.get("pdk_not-a-token", path).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{path}");
        let p = problem(response).await;
        assert_eq!(p.code, ProblemCode::Unauthorized);
        assert_eq!(p.status, 401);
    }
}

#[tokio::test]
async fn a_partner_token_names_exactly_one_existing_partner() {
    let h = start().await;
    let partners = h.partners();
    let store = h.server.store();
    assert!(store
        .create_token("x", Role::PartnerAdmin, &partners[..2])
        .await
        .is_err());
    assert!(store
        .create_token("x", Role::PartnerSales, &[])
        .await
        .is_err());
    let stranger = program::contract::PartnerId(uuid::Uuid::from_u128(42));
    assert!(store
        .create_token("x", Role::PlatformAccountManager, &[stranger])
        .await
        .is_err());
}

#[tokio::test]
async fn program_serves_the_reference_policy_and_the_catalog() {
    let h = start().await;
    let token = h.manager().await;
    let response = h.get(&token, "/v1/program").await;
    assert_eq!(response.status(), StatusCode::OK);
    let info: program::contract::ProgramInfo = response.json().await.unwrap();
    assert_eq!(
        info.policy,
        program::contract::ProgramPolicy::reference(central_api::demo::fx_rates(
            crate::common::as_of()
        ))
    );
    let mut catalog = central_api::demo::catalog();
    catalog.sort_by(|a, b| a.sku.cmp(&b.sku));
    assert_eq!(info.catalog, catalog);
}
