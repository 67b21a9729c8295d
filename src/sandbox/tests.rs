//! End-to-end tests of the emulator: a real server on a loopback port driven with
//! reqwest, one test per behaviour the README's "Use in CI" promises of the emulator.

use std::time::Duration;

use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};

use super::sertifika::user_code;
use super::{Handle, Options, TOKEN, start};

const TPL: &str = "64c9f080-2314-4f02-a43c-923d83e8e444";

/// A plain-HTTP client; reqwest is built without a default TLS provider.
fn client() -> Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    Client::new()
}

async fn server(options: Options) -> Handle {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    start(listener, options).await.unwrap()
}

async fn faulty(spec: &str, seed: u64) -> Handle {
    server(Options {
        faults: spec.parse().unwrap(),
        seed: Some(seed),
        ..Options::default()
    })
    .await
}

/// A request with the right credential for the provider its path names.
fn call(client: &Client, h: &Handle, method: Method, path: &str) -> reqwest::RequestBuilder {
    let request = client.request(method, format!("{}{path}", h.base_url()));
    if path.starts_with("/digicert") {
        request.header("X-DC-DEVKEY", TOKEN)
    } else if path.starts_with("/sertifika") {
        request.header("Authorization", TOKEN)
    } else {
        request.bearer_auth(TOKEN)
    }
}

async fn send(request: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let response = request.send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn stats(client: &Client, h: &Handle) -> Value {
    send(client.get(format!("{}/_sandbox/stats", h.base_url())))
        .await
        .1
}

#[tokio::test]
async fn bcdiploma_disables_deletes_and_counts() {
    let h = server(Options::default()).await;
    let c = client();
    let keys = "/bcdiploma/admin/keys";
    let body = json!({"ids": ["DEMOKEY0001", "DEMOKEY0002"], "enable": false});
    let (status, _) = send(call(&c, &h, Method::PUT, keys).json(&body)).await;
    assert_eq!(status, 200);
    // Disabling again is no change; campaign-wide enable flips the two back.
    send(call(&c, &h, Method::PUT, keys).json(&body)).await;
    let body = json!({"campaignId": "demo-campaign", "enable": true});
    assert_eq!(
        send(call(&c, &h, Method::PUT, keys).json(&body)).await.0,
        200
    );

    let missing = json!({"ids": ["DEMOKEY0003"]});
    let (status, err) = send(call(&c, &h, Method::PUT, keys).json(&missing)).await;
    assert_eq!(status, 400);
    assert!(err["message"].as_str().unwrap().contains("enable"));
    let neither = json!({"enable": true});
    assert_eq!(
        send(call(&c, &h, Method::PUT, keys).json(&neither)).await.0,
        400
    );

    let plain = call(&c, &h, Method::DELETE, keys).body(r#"["DEMOKEY0003"]"#);
    assert_eq!(send(plain).await.0, 400, "Content-Type is mandatory");
    let mixed = json!(["DEMOKEY0003", "NOPE"]);
    let (status, err) = send(call(&c, &h, Method::DELETE, keys).json(&mixed)).await;
    assert_eq!(status, 400);
    assert!(err["message"].as_str().unwrap().contains("NOPE"));
    let ok = json!(["DEMOKEY0003"]);
    assert_eq!(
        send(call(&c, &h, Method::DELETE, keys).json(&ok)).await.0,
        200
    );
    assert_eq!(
        send(call(&c, &h, Method::DELETE, keys).json(&ok)).await.0,
        400
    );

    let history = "/bcdiploma/admin/campaign?campaignId=demo-campaign";
    assert_eq!(send(call(&c, &h, Method::DELETE, history)).await.0, 204);
    assert_eq!(send(call(&c, &h, Method::DELETE, history)).await.0, 404);

    let (status, err) = send(
        c.put(format!("{}{keys}", h.base_url()))
            .bearer_auth("wrong")
            .json(&body),
    )
    .await;
    assert_eq!(status, 401);
    assert!(err["message"].is_string());

    let s = stats(&c, &h).await;
    assert_eq!(s["requests"]["PUT /bcdiploma/admin/keys"], 6);
    assert_eq!(s["requests"]["DELETE /bcdiploma/admin/campaign"], 2);
    assert_eq!(s["changes"]["bcdiploma:DEMOKEY0001"], 2);
    assert_eq!(s["changes"]["bcdiploma:DEMOKEY0003"], 1);
    assert_eq!(s["changes"]["bcdiploma:campaign:demo-campaign"], 1);
    assert!(s["changes"].get("bcdiploma:DEMOKEY0004").is_none());
    h.shutdown().await;
}

#[tokio::test]
async fn origin_deletes_sync_and_async() {
    let h = server(Options::default()).await;
    let c = client();
    let delete = "/origin/connect/v1/certifications/delete";
    let body = json!({"certifications": [{"originId": "0e1c0000-0000-4000-8000-000000000001"}, {"externalId": "EXT-002"}]});
    let (status, answer) = send(call(&c, &h, Method::POST, delete).json(&body)).await;
    assert_eq!(status, 200);
    assert_eq!(answer["status"]["state"], "SUCCESS");
    assert_eq!(answer["result"]["result"], "Delete completed.");
    assert_eq!(answer["connectRequest"], body);

    // Gone now; a bad item is a validation error naming its position.
    let (status, answer) = send(call(&c, &h, Method::POST, delete).json(&body)).await;
    assert_eq!(status, 400);
    assert!(
        answer["status"]["messages"][0]
            .as_str()
            .unwrap()
            .contains("does not exist")
    );
    let bad = json!({"certifications": [{"externalId": "EXT-003"}, {"locale": "en"}]});
    let (status, answer) = send(call(&c, &h, Method::POST, delete).json(&bad)).await;
    assert_eq!(status, 400);
    assert!(
        answer["status"]["code"]
            .as_str()
            .unwrap()
            .starts_with("CE00001")
    );
    assert_eq!(
        answer["status"]["messages"],
        json!(["certifications[2] require one originId or externalId."])
    );

    let async_delete = "/origin/connect/v1/async/certifications/delete";
    let body = json!({"certifications": [{"externalId": "EXT-003"}]});
    let (status, answer) = send(call(&c, &h, Method::POST, async_delete).json(&body)).await;
    assert_eq!(status, 200);
    let callback = answer["result"]["poolingCallback"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(callback.starts_with(&format!(
        "{}/origin/connect/v1/result/certifications_delete/batch/",
        h.base_url()
    )));
    for _ in 0..2 {
        let (_, answer) = send(c.get(&callback).bearer_auth(TOKEN)).await;
        assert_eq!(answer["result"]["executionStatus"], "PENDING");
    }
    let (status, answer) = send(c.get(&callback).bearer_auth(TOKEN)).await;
    assert_eq!(status, 200);
    assert_eq!(answer["result"]["executionStatus"], "DONE");
    assert_eq!(answer["result"]["result"], "Delete completed.");
    assert_eq!(send(c.get(&callback).bearer_auth(TOKEN)).await.1, answer);
    let unknown = "/origin/connect/v1/result/certifications_delete/batch/nope";
    assert_eq!(send(call(&c, &h, Method::GET, unknown)).await.0, 404);

    let (status, answer) = send(c.post(format!("{}{delete}", h.base_url())).json(&body)).await;
    assert_eq!(status, 401);
    assert!(
        answer["status"]["code"]
            .as_str()
            .unwrap()
            .starts_with("CE00002")
    );

    let s = stats(&c, &h).await;
    assert_eq!(
        s["changes"]["origin:0e1c0000-0000-4000-8000-000000000003"],
        1
    );
    assert_eq!(
        s["changes"]["origin:0e1c0000-0000-4000-8000-000000000002"],
        1
    );
}

#[tokio::test]
async fn digicert_revoke_requests_and_approval() {
    let h = server(Options::default()).await;
    let c = client();
    let v2 = "/digicert/services/v2";
    let comment = json!({"comments": "no longer needed"});
    let (status, request) = send(
        call(
            &c,
            &h,
            Method::PUT,
            &format!("{v2}/order/certificate/10001/revoke"),
        )
        .json(&comment),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(request["status"], "pending");
    assert_eq!(request["type"], "revoke");
    let id = request["id"].as_u64().unwrap();
    let path = format!("{v2}/request/{id}");
    assert_eq!(
        send(call(&c, &h, Method::GET, &path)).await.1["status"],
        "pending"
    );
    let approve = json!({"status": "approved", "processor_comment": "ok"});
    let status_path = format!("{path}/status");
    assert_eq!(
        send(call(&c, &h, Method::PUT, &status_path).json(&approve))
            .await
            .0,
        204
    );
    assert_eq!(
        send(call(&c, &h, Method::GET, &path)).await.1["status"],
        "approved"
    );
    let (status, err) = send(call(&c, &h, Method::PUT, &status_path).json(&approve)).await;
    assert_eq!(status, 400);
    assert_eq!(err["errors"][0]["code"], "request_not_pending");
    // The order's certificate went with it.
    let (status, _) = send(
        call(
            &c,
            &h,
            Method::PUT,
            &format!("{v2}/certificate/20001/revoke"),
        )
        .json(&comment),
    )
    .await;
    assert_eq!(status, 400);

    let skip =
        json!({"comments": "x", "revocation_reason": "keyCompromise", "skip_approval": true});
    let (status, body) = send(
        call(
            &c,
            &h,
            Method::PUT,
            &format!("{v2}/certificate/20002/revoke"),
        )
        .json(&skip),
    )
    .await;
    assert_eq!((status, body), (StatusCode::NO_CONTENT, Value::Null));
    let wrong = json!({"comments": "x", "revocation_reason": "key-compromise"});
    assert_eq!(
        send(
            call(
                &c,
                &h,
                Method::PUT,
                &format!("{v2}/certificate/20003/revoke")
            )
            .json(&wrong)
        )
        .await
        .0,
        400
    );
    let (status, err) = send(
        call(
            &c,
            &h,
            Method::PUT,
            &format!("{v2}/order/certificate/10002/revoke"),
        )
        .json(&json!({})),
    )
    .await;
    assert_eq!(status, 400);
    assert!(err["errors"][0]["message"].is_string());
    let (status, err) = send(
        call(
            &c,
            &h,
            Method::PUT,
            &format!("{v2}/order/certificate/9/revoke"),
        )
        .json(&comment),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(err["errors"][0]["code"], "not_found|order");
    assert_eq!(
        send(
            call(
                &c,
                &h,
                Method::PUT,
                &format!("{v2}/order/certificate/abc/revoke")
            )
            .json(&comment)
        )
        .await
        .0,
        400
    );
    assert_eq!(
        send(call(&c, &h, Method::GET, &format!("{v2}/request/1")))
            .await
            .1["status"],
        "pending"
    );
    assert_eq!(
        send(call(&c, &h, Method::GET, &format!("{v2}/user/me")))
            .await
            .0,
        200
    );

    let (status, err) = send(
        c.get(format!("{}{v2}/user/me", h.base_url()))
            .header("X-DC-DEVKEY", "bad"),
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(
        err["errors"][0]["code"],
        "access_denied|access_denied_invalid_key"
    );

    // A certificate is addressed by serial number too, in any case.
    let skip = json!({"comments": "x", "skip_approval": true});
    let (status, _) = send(
        call(
            &c,
            &h,
            Method::PUT,
            &format!("{v2}/certificate/0A1B2C3D00004E26/revoke"),
        )
        .json(&skip),
    )
    .await;
    assert_eq!(status, 204);
    let (status, err) = send(
        call(
            &c,
            &h,
            Method::PUT,
            &format!("{v2}/certificate/20006/revoke"),
        )
        .json(&comment),
    )
    .await;
    assert_eq!(status, 400, "{err}");
    let (status, err) = send(
        call(
            &c,
            &h,
            Method::PUT,
            &format!("{v2}/certificate/0a1b2c3d0000ffff/revoke"),
        )
        .json(&comment),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(err["errors"][0]["code"], "not_found|certificate");
    // An order revoke takes skip_approval as well, and its certificate goes with it.
    let (status, _) = send(
        call(
            &c,
            &h,
            Method::PUT,
            &format!("{v2}/order/certificate/10007/revoke"),
        )
        .json(&skip),
    )
    .await;
    assert_eq!(status, 204);
    let (status, _) = send(
        call(
            &c,
            &h,
            Method::PUT,
            &format!("{v2}/certificate/20007/revoke"),
        )
        .json(&comment),
    )
    .await;
    assert_eq!(status, 400);
    // An unknown route answers the one-object form of `errors`.
    let (status, err) = send(call(&c, &h, Method::GET, &format!("{v2}/nowhere"))).await;
    assert_eq!(status, 404);
    assert_eq!(err["errors"]["code"], "not_found|route");

    let s = stats(&c, &h).await;
    assert_eq!(s["changes"]["digicert:order:10001"], 2);
    assert_eq!(s["changes"]["digicert:certificate:20006"], 1);
    assert_eq!(s["changes"]["digicert:order:10007"], 1);
    assert_eq!(s["changes"]["digicert:certificate:20002"], 1);
}

/// Every order of a listing, following pages of `limit` until `page.total`.
async fn all_orders(c: &Client, h: &Handle, filters: &str, limit: usize) -> Vec<Value> {
    let mut orders = Vec::new();
    loop {
        let path = format!(
            "/digicert/services/v2/order/certificate?{filters}&limit={limit}&offset={}",
            orders.len()
        );
        let (status, page) = send(call(c, h, Method::GET, &path)).await;
        assert_eq!(status, 200, "{page}");
        let got = page["orders"].as_array().unwrap().clone();
        assert_eq!(page["page"]["offset"], orders.len());
        let total = page["page"]["total"].as_u64().unwrap() as usize;
        orders.extend(got);
        if orders.len() >= total {
            assert_eq!(orders.len(), total);
            return orders;
        }
    }
}

#[tokio::test]
async fn digicert_orders_filter_and_page_as_live() {
    let h = server(Options::default()).await;
    let c = client();
    let all = all_orders(&c, &h, "", 1000).await;
    assert_eq!(all.len(), 2000);
    assert_eq!(all[0]["id"], 10001);
    assert_eq!(all[1999]["id"], 12000);
    let first = &all[0];
    assert_eq!(first["certificate"]["id"], 20001);
    assert_eq!(first["certificate"]["serial_number"], "0a1b2c3d00004e21");
    assert_eq!(first["status"], "issued");
    assert!(first.get("requests").is_none(), "lists leave requests out");
    assert!(all.iter().any(|o| o["organization"] == json!([])));

    // Each filter selects some orders and not others, the same across page sizes.
    let cn = first["certificate"]["common_name"]
        .as_str()
        .unwrap()
        .to_owned();
    let domain = first["certificate"]["dns_names"][1]
        .as_str()
        .unwrap()
        .to_owned();
    let product = first["product"]["name_id"].as_str().unwrap().to_owned();
    let container = first["container"]["id"].as_u64().unwrap();
    let till = first["certificate"]["valid_till"]
        .as_str()
        .unwrap()
        .to_owned();
    type Expect = Box<dyn Fn(&Value) -> bool>;
    let cases: Vec<(String, Expect)> = vec![
        (
            "filters[status]=revoked".into(),
            Box::new(|o: &Value| o["status"] == "revoked"),
        ),
        (
            "filters[status][0]=pending&filters[status][1]=expired".into(),
            Box::new(|o: &Value| o["status"] == "pending" || o["status"] == "expired"),
        ),
        (
            format!("filters[common_name]={cn}"),
            Box::new(move |o: &Value| o["certificate"]["common_name"] == cn.as_str()),
        ),
        (
            format!("filters[domain_name]={domain}"),
            Box::new(move |o: &Value| {
                o["certificate"]["dns_names"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|n| n == domain.as_str())
            }),
        ),
        (
            "filters[search]=%25grace".into(),
            Box::new(|o: &Value| o["user"]["email"].as_str().unwrap().contains("grace")),
        ),
        (
            format!("filters[product_name_id]={product}"),
            Box::new(move |o: &Value| o["product"]["name_id"] == product.as_str()),
        ),
        (
            format!("filters[container_id]={container}"),
            Box::new(move |o: &Value| o["container"]["id"] == container),
        ),
        (
            format!("filters[valid_till]=%3C{till}"),
            Box::new(move |o: &Value| {
                o["certificate"]["valid_till"].as_str().unwrap() < till.as_str()
            }),
        ),
        (
            "filters[serial_number]=0A1B2C3D00004E2A".into(),
            Box::new(|o: &Value| o["id"] == 10010),
        ),
        (
            "filters[certificate_id]=20003".into(),
            Box::new(|o: &Value| o["id"] == 10003),
        ),
    ];
    for (filters, expected) in cases {
        let want: Vec<&Value> = all
            .iter()
            .filter(|o| expected(o))
            .map(|o| &o["id"])
            .collect();
        assert!(
            !want.is_empty() && want.len() < all.len(),
            "{filters}: {}",
            want.len()
        );
        let got = all_orders(&c, &h, &filters, 37).await;
        let got: Vec<&Value> = got.iter().map(|o| &o["id"]).collect();
        assert_eq!(got, want, "{filters}");
    }

    let v2 = "/digicert/services/v2/order/certificate";
    for bad in [
        "limit=1001",
        "limit=0",
        "filters[colour]=red",
        "filters[valid_till]=%3Csoon",
    ] {
        let (status, err) = send(call(&c, &h, Method::GET, &format!("{v2}?{bad}"))).await;
        assert_eq!(status, 400, "{bad}: {err}");
        assert!(err["errors"][0]["code"].is_string());
    }
    let (_, past) = send(call(&c, &h, Method::GET, &format!("{v2}?offset=5000"))).await;
    assert_eq!(past["orders"], json!([]));
    assert_eq!(past["page"]["total"], 2000);
}

#[tokio::test]
async fn digicert_revokes_show_in_the_order_and_the_request_list() {
    let h = server(Options {
        orders: 100,
        ..Options::default()
    })
    .await;
    let c = client();
    let v2 = "/digicert/services/v2";
    let (status, order) = send(call(
        &c,
        &h,
        Method::GET,
        &format!("{v2}/order/certificate/10009"),
    ))
    .await;
    assert_eq!(status, 200);
    assert_eq!(order["requests"][0]["type"], "revoke");
    assert_eq!(order["requests"][0]["status"], "pending");
    assert_eq!(order["requests"][0]["id"], 1);
    let (status, err) = send(call(
        &c,
        &h,
        Method::GET,
        &format!("{v2}/order/certificate/10101"),
    ))
    .await;
    assert_eq!(status, 404);
    assert_eq!(err["errors"][0]["code"], "not_found|order");

    let pending = format!("{v2}/request?filters[status]=pending&filters[type]=revoke");
    let before = send(call(&c, &h, Method::GET, &pending)).await.1;
    let count = before["page"]["total"].as_u64().unwrap();
    assert!(count > 0);
    let comment = json!({"comments": "no longer needed"});
    let revoke = |id: u64| format!("{v2}/order/certificate/{id}/revoke");
    let (status, request) = send(call(&c, &h, Method::PUT, &revoke(10002)).json(&comment)).await;
    assert_eq!(status, 201);
    let after = send(call(&c, &h, Method::GET, &pending)).await.1;
    assert_eq!(after["page"]["total"], count + 1);
    let listed = after["requests"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(listed["id"], request["id"]);
    assert_eq!(listed["order"]["id"], 10002);
    let show = format!("{v2}/order/certificate/10002");
    let order = send(call(&c, &h, Method::GET, &show)).await.1;
    assert_eq!(order["status"], "issued");
    assert_eq!(order["requests"][0]["status"], "pending");

    // A rejection leaves the order issued; an approval revokes it with its certificate.
    let decide = |id: &Value| format!("{v2}/request/{id}/status");
    let reject = json!({"status": "rejected", "processor_comment": "no"});
    assert_eq!(
        send(call(&c, &h, Method::PUT, &decide(&request["id"])).json(&reject))
            .await
            .0,
        204
    );
    assert_eq!(
        send(call(&c, &h, Method::GET, &show)).await.1["status"],
        "issued"
    );
    let (_, second) = send(call(&c, &h, Method::PUT, &revoke(10002)).json(&comment)).await;
    let approve = json!({"status": "approved"});
    assert_eq!(
        send(call(&c, &h, Method::PUT, &decide(&second["id"])).json(&approve))
            .await
            .0,
        204
    );
    let order = send(call(&c, &h, Method::GET, &show)).await.1;
    assert_eq!(order["status"], "revoked");
    assert_eq!(order["certificate"]["status"], "revoked");
    let statuses: Vec<&Value> = order["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["status"])
        .collect();
    assert_eq!(statuses, [&json!("rejected"), &json!("approved")]);

    // Skipping approval revokes at once and files nothing.
    let total = |v: Value| v["page"]["total"].as_u64().unwrap();
    let every = format!("{v2}/request");
    let requests = total(send(call(&c, &h, Method::GET, &every)).await.1);
    let skip = json!({"comments": "x", "skip_approval": true});
    assert_eq!(
        send(call(&c, &h, Method::PUT, &revoke(10003)).json(&skip))
            .await
            .0,
        204
    );
    assert_eq!(
        total(send(call(&c, &h, Method::GET, &every)).await.1),
        requests
    );
    let order = send(call(
        &c,
        &h,
        Method::GET,
        &format!("{v2}/order/certificate/10003"),
    ))
    .await
    .1;
    assert_eq!(order["status"], "revoked");
    assert_eq!(order["requests"], json!([]));

    // Orders that are not issued cannot be revoked.
    let (status, err) = send(call(&c, &h, Method::PUT, &revoke(10010)).json(&comment)).await;
    assert_eq!(status, 400);
    assert_eq!(err["errors"][0]["code"], "invalid_status|order");
}

#[tokio::test]
async fn sertifika_lists_issues_and_revokes() {
    let h = server(Options::default()).await;
    let c = client();
    let api = "/sertifika/api/v1.0";
    let (status, list) = send(call(
        &c,
        &h,
        Method::GET,
        &format!("{api}/company/sandbox-company/certificate"),
    ))
    .await;
    assert_eq!(status, 200);
    assert_eq!(list.as_array().unwrap().len(), 2);
    let (_, detail) = send(call(
        &c,
        &h,
        Method::GET,
        &format!("{api}/certificate/{TPL}"),
    ))
    .await;
    let props = &detail["certificateItem"][0]["Properties"];
    assert_eq!(props[0]["key"], "alias_1434977880189");
    let (_, users) = send(call(
        &c,
        &h,
        Method::GET,
        &format!("{api}/company/sandbox-company/user/"),
    ))
    .await;
    assert_eq!(users.as_array().unwrap().len(), 5);
    let ayse = user_code("  Ayse.Yilmaz@example.com.tr ");
    let (_, one) = send(call(
        &c,
        &h,
        Method::GET,
        &format!("{api}/company/sandbox-company/user/{ayse}"),
    ))
    .await;
    assert_eq!(one[0]["name"], "Ayşe");
    let (_, mine) = send(call(
        &c,
        &h,
        Method::GET,
        &format!("{api}/user/{ayse}/certificate"),
    ))
    .await;
    assert_eq!(mine[0]["connectionId"], TPL);

    let item = |email: &str, props: Value| json!({"id": TPL, "Name": "Can", "Surname": "Öz", "Email": email, "Hour": 1.5, "Properties": props});
    let good = json!([{"key": "alias_1434977880189", "value": "1 Ocak"}, {"key": "alias_1434977884195", "value": "Ankara"}]);
    let short = json!([{"key": "alias_1434977880189", "value": "1 Ocak"}]);
    let body = json!({"certificateItem": [item("can.oz@example.com", good), item("bad@example.com", short), {"id": TPL, "Properties": []}]});
    let (status, answer) =
        send(call(&c, &h, Method::POST, &format!("{api}/certificate/")).json(&body)).await;
    assert_eq!(status, 200);
    let list = answer["messageList"].as_array().unwrap();
    assert_eq!(list[0], "1-success-can.oz@example.com");
    assert!(
        list[1]
            .as_str()
            .unwrap()
            .starts_with("2-error-bad@example.com-")
    );
    assert!(list[2].as_str().unwrap().starts_with("3-error--"));
    assert_eq!(list[3], "Success count :1");
    assert_eq!(list[4], "Error count :2");

    let can = user_code("can.oz@example.com");
    let (status, award) = send(call(
        &c,
        &h,
        Method::GET,
        &format!("{api}/certificate/{TPL}/user/{can}"),
    ))
    .await;
    assert_eq!(status, 200);
    assert_eq!(award["email"], "can.oz@example.com");
    let one = format!("{api}/certificate/{TPL}/user/{can}");
    assert_eq!(
        send(call(&c, &h, Method::DELETE, &one)).await.1,
        json!(format!("userCode : '{can}' is deleted"))
    );
    assert_eq!(
        send(call(&c, &h, Method::DELETE, &one)).await.1,
        json!(format!("userCode : '{can}' is undefined or is deleted"))
    );
    let (_, all) = send(call(
        &c,
        &h,
        Method::DELETE,
        &format!("{api}/certificate/{TPL}/user"),
    ))
    .await;
    assert_eq!(all["messageList"].as_array().unwrap().len(), 3, "{all}");
    assert_eq!(
        send(call(
            &c,
            &h,
            Method::GET,
            &format!("{api}/certificate/{TPL}/user")
        ))
        .await
        .1,
        json!([])
    );

    let wrong_company = format!("{api}/company/other/certificate");
    assert_eq!(send(call(&c, &h, Method::GET, &wrong_company)).await.0, 401);
    let (status, _) = send(
        c.get(format!("{}{api}/certificate/{TPL}", h.base_url()))
            .bearer_auth(TOKEN),
    )
    .await;
    assert_eq!(status, 401, "the token goes as is, not as Bearer");

    let s = stats(&c, &h).await;
    assert_eq!(s["changes"][format!("sertifika:{TPL}:{can}")], 2);
    assert_eq!(s["changes"][format!("sertifika:{TPL}:{ayse}")], 1);
}

async fn statuses(seed: u64) -> Vec<u16> {
    let h = faulty("429=0.3,503=0.2,500=0.1", seed).await;
    let c = client();
    let mut seen = Vec::new();
    for _ in 0..30 {
        let response = call(&c, &h, Method::GET, "/digicert/services/v2/user/me")
            .send()
            .await
            .unwrap();
        if response.status() == 429 {
            assert!(response.headers().get("retry-after").is_none());
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["errors"][0]["code"], "request_limit_exceeded");
            seen.push(429);
        } else {
            seen.push(response.status().as_u16());
        }
    }
    seen
}

#[tokio::test]
async fn faults_repeat_with_a_seed() {
    let first = statuses(7).await;
    assert_eq!(first, statuses(7).await);
    assert_ne!(first, statuses(8).await);
    for code in [200, 429, 503] {
        assert!(first.contains(&code), "{first:?}");
    }
}

#[tokio::test]
async fn bcdiploma_429_fault_says_retry_after_1() {
    let h = faulty("429=1", 1).await;
    let response = call(&client(), &h, Method::PUT, "/bcdiploma/admin/keys")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "1");
}

#[tokio::test]
async fn reset_drops_without_change() {
    let h = faulty("reset=1", 1).await;
    let c = client();
    let body = json!({"ids": ["DEMOKEY0001"], "enable": false});
    assert!(
        call(&c, &h, Method::PUT, "/bcdiploma/admin/keys")
            .json(&body)
            .send()
            .await
            .is_err()
    );
    let s = stats(&c, &h).await;
    assert_eq!(s["requests"]["PUT /bcdiploma/admin/keys"], 1);
    assert_eq!(s["changes"], json!({}));
}

#[tokio::test]
async fn reset_after_applies_then_drops() {
    let h = faulty("reset-after=1", 1).await;
    let c = client();
    let body = json!({"ids": ["DEMOKEY0001"], "enable": false});
    assert!(
        call(&c, &h, Method::PUT, "/bcdiploma/admin/keys")
            .json(&body)
            .send()
            .await
            .is_err()
    );
    assert_eq!(stats(&c, &h).await["changes"]["bcdiploma:DEMOKEY0001"], 1);
    // Reads are spared.
    assert_eq!(
        send(call(&c, &h, Method::GET, "/digicert/services/v2/user/me"))
            .await
            .0,
        200
    );
}

#[tokio::test]
async fn slow_delays_the_answer() {
    let h = faulty("slow=1:200ms", 1).await;
    let started = std::time::Instant::now();
    let (status, _) = send(call(
        &client(),
        &h,
        Method::GET,
        "/digicert/services/v2/user/me",
    ))
    .await;
    assert_eq!(status, 200);
    assert!(started.elapsed() >= Duration::from_millis(200));
}

#[tokio::test]
async fn limits_answer_429_past_the_window() {
    // Windows of 0.5 s / 6 s (BCdiploma) and 0.5 s / 30 s (DigiCert).
    let h = server(Options {
        limits: true,
        limit_scale: 0.1,
        ..Options::default()
    })
    .await;
    let c = client();
    let (keys, me) = ("/bcdiploma/admin/keys", "/digicert/services/v2/user/me");
    let body = json!({"ids": ["DEMOKEY0001"], "enable": true});
    let mut first_refusal = None;
    for n in 0..400 {
        let response = call(&c, &h, Method::PUT, keys)
            .json(&body)
            .send()
            .await
            .unwrap();
        if response.status() == 429 {
            assert_eq!(response.headers()["retry-after"], "1");
            first_refusal = Some(n);
            break;
        }
    }
    // On a slow machine the window may slide before the 101st request.
    assert!(first_refusal.is_some_and(|n| n >= 100), "{first_refusal:?}");
    for n in 0..400 {
        let response = call(&c, &h, Method::GET, me).send().await.unwrap();
        if response.status() == 429 {
            assert!(response.headers().get("retry-after").is_none());
            assert!(n >= 100);
            break;
        }
    }
    tokio::time::sleep(Duration::from_millis(550)).await;
    assert_eq!(
        send(call(&c, &h, Method::PUT, keys).json(&body)).await.0,
        200
    );
    // Sertifika and Origin have no documented limit.
    let origin = "/origin/connect/v1/result/certifications_delete/batch/x";
    for _ in 0..120 {
        assert_eq!(send(call(&c, &h, Method::GET, origin)).await.0, 404);
    }
}

#[test]
fn profile_names_every_provider() {
    let profile = super::profile_toml("http://127.0.0.1:9/");
    assert!(profile.contains("base_url = \"http://127.0.0.1:9/digicert/services/v2\""));
    assert!(profile.contains("api_key = \"sandbox-token\""));
    assert!(profile.contains("company_id = \"sandbox-company\""));
    assert_eq!(profile.matches("[profiles.sandbox.").count(), 4);
}

#[test]
fn user_code_is_md5_of_the_normalised_email() {
    // md5("john.doe@example.com")
    assert_eq!(
        user_code(" John.Doe@Example.com "),
        "8eb1b522f60d11fa897de1dc6351b7e8"
    );
}

/// The emulator's own company is the one the registry hands to `--sandbox`.
#[test]
fn the_registry_names_the_emulators_credentials() {
    let sertifika = crate::registry::ProviderId::Sertifika.info();
    assert_eq!(sertifika.sandbox_extras, [super::api::COMPANY]);
    let profile = super::profile_toml("http://127.0.0.1:9");
    for p in &crate::registry::PROVIDERS {
        assert!(profile.contains(&format!(
            "base_url = \"http://127.0.0.1:9{}\"",
            p.sandbox_prefix
        )));
    }
    assert!(profile.contains("api_key = \"sandbox-token\""));
    assert!(profile.contains("company_id = \"sandbox-company\""));
}

#[tokio::test]
async fn the_number_of_orders_is_bounded() {
    for orders in [0, super::MAX_ORDERS + 1] {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let options = Options {
            orders,
            ..Options::default()
        };
        assert!(start(listener, options).await.is_err(), "{orders}");
    }
    let h = server(Options {
        orders: 1,
        ..Options::default()
    })
    .await;
    let c = client();
    let (_, page) = send(call(
        &c,
        &h,
        Method::GET,
        "/digicert/services/v2/order/certificate",
    ))
    .await;
    assert_eq!(page["page"]["total"], 1);
    assert_eq!(page["orders"][0]["id"], 10001);
}
