//! The sign-in credentials in a real OS keychain (on Linux, the kernel's keyutils store).

use desk::api::Token;
use desk::secrets;
use desk::signin::{Credentials, Renewal};

#[tokio::test]
async fn keychain_stores_reads_and_deletes_the_credentials() {
    let account = format!("https://api.test.invalid/#{}", uuid::Uuid::new_v4());
    assert_eq!(secrets::load_credentials(&account).await.unwrap(), None);
    secrets::store_credentials(&account, &Credentials::token(Token::new("first")))
        .await
        .unwrap();
    let renewable = Credentials {
        access: Token::new("second-replaces-it"),
        refresh: Some(Renewal {
            token: Token::new("its-refresh-token"),
            token_endpoint: "https://api.test.invalid/oauth/token".parse().unwrap(),
        }),
    };
    secrets::store_credentials(&account, &renewable)
        .await
        .unwrap();
    let read = secrets::load_credentials(&account).await.unwrap().unwrap();
    assert_eq!(read, renewable);
    secrets::delete_credentials(&account).await.unwrap();
    assert_eq!(secrets::load_credentials(&account).await.unwrap(), None);
    // Forgetting what is not there is fine.
    secrets::delete_credentials(&account).await.unwrap();
}
