//! The sign-in token in a real OS keychain (on Linux, the kernel's keyutils store).

use desk::api::Token;
use desk::secrets;

#[tokio::test]
async fn keychain_stores_reads_and_deletes_the_token() {
    let account = format!("https://api.test.invalid/#{}", uuid::Uuid::new_v4());
    assert_eq!(secrets::load_token(&account).await.unwrap(), None);
    secrets::store_token(&account, &Token::new("first"))
        .await
        .unwrap();
    secrets::store_token(&account, &Token::new("second-replaces-it"))
        .await
        .unwrap();
    let read = secrets::load_token(&account).await.unwrap().unwrap();
    assert_eq!(read.expose(), "second-replaces-it");
    secrets::delete_token(&account).await.unwrap();
    assert_eq!(secrets::load_token(&account).await.unwrap(), None);
    // Forgetting a token that is not there is fine.
    secrets::delete_token(&account).await.unwrap();
}
