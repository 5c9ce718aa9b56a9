import Foundation

/// The push side of a consumer's feed (issue 5 §4): the same desensitized pages as the pull feed, POSTed to the
/// consumer's webhook in cursor order, signed, retried with backoff until the receiver answers 2xx. The cursor only
/// moves on success, so a page is delivered at least once and never skipped; receivers drop repeats by `cursor`.
public enum FeedPush {
    /// `X-CitySteward-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`. The timestamp is
    /// signed too, so a captured request cannot be replayed later than `tolerance`.
    public static let signatureHeader = "X-CitySteward-Signature"
    public static let tolerance: TimeInterval = 300

    /// What is MACed: the timestamp, a dot, the exact body bytes.
    public static func signedPayload(timestamp: Int64, body: [UInt8]) -> [UInt8] {
        Array("\(timestamp).".utf8) + body
    }

    public static func header(timestamp: Int64, macHex: String) -> String {
        "t=\(timestamp),v1=\(macHex)"
    }

    /// The timestamp and every `v1` MAC in a header (several during a secret change); nil when it is not one of ours.
    public static func parse(header: String) -> (timestamp: Int64, macs: [String])? {
        var timestamp: Int64?
        var macs: [String] = []
        for part in header.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2 else { return nil }
            switch pair[0] {
            case "t": timestamp = Int64(pair[1])
            case "v1": macs.append(pair[1].lowercased())
            default: continue
            }
        }
        guard let t = timestamp, !macs.isEmpty else { return nil }
        return (t, macs)
    }

    /// Seconds to wait after `failures` failed deliveries in a row: 5 s doubling to at most an hour, so a receiver
    /// that is down for a day is tried about thirty times, not thousands.
    public static func backoff(afterFailures failures: Int) -> TimeInterval {
        guard failures > 0 else { return 0 }
        let exponent = min(failures - 1, 20)
        return min(5 * pow(2, Double(exponent)), 3600)
    }

    /// Where a webhook may point: http or https with a host, no credentials in it, no fragment.
    public static func validate(url text: String) -> LocalizedText? {
        guard let url = URLComponents(string: text), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
              let host = url.host, !host.isEmpty else {
            return LocalizedText(zh: "回调地址应为 http:// 或 https:// 开头的完整地址", en: "the webhook URL must be a full http:// or https:// address")
        }
        if url.user != nil || url.password != nil {
            return LocalizedText(zh: "回调地址不能包含用户名或密码，签名已用于认证", en: "the webhook URL must not carry a user or password; the signature authenticates")
        }
        if url.fragment != nil {
            return LocalizedText(zh: "回调地址不能包含 # 片段", en: "the webhook URL must not have a # fragment")
        }
        if text.count > 2000 {
            return LocalizedText(zh: "回调地址过长", en: "the webhook URL is too long")
        }
        return nil
    }

    /// A secret the consumer chose: long enough to resist guessing.
    public static func validate(secret: String) -> LocalizedText? {
        guard secret.utf8.count >= 32, secret.utf8.count <= 256, secret.allSatisfy({ $0.isASCII && !$0.isWhitespace }) else {
            return LocalizedText(zh: "签名密钥应为 32~256 个不含空白的 ASCII 字符（不填则由系统生成）",
                                 en: "the signing secret is 32 to 256 ASCII characters without spaces (leave it out to have one generated)")
        }
        return nil
    }
}
