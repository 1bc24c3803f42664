pub async fn _stub() {}
