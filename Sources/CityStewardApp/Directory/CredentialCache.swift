import CityStewardCore
import CityStewardStore
import Crypto
import Foundation
import Vapor

/// Verified bearer credentials (token or API key → its actor) kept for a few seconds, so a busy integration (a
/// camera posting alerts, a partner system) costs no directory queries per request. A revocation in this process
/// clears the cache at once; one made elsewhere (the CLI, another instance) takes effect within `ttl`.
actor CredentialCache {
    struct Entry {
        let token: TokenInfo
        let actor: Actor
        let loadedAt: ContinuousClock.Instant
    }

    private var entries: [String: Entry] = [:]
    let ttl: Duration
    let capacity: Int

    init(ttl: Duration = .seconds(10), capacity: Int = 10_000) {
        self.ttl = ttl
        self.capacity = capacity
    }

    static func key(_ secret: String) -> String {
        SHA256.hash(data: Data(secret.utf8)).hexString
    }

    func get(_ key: String, now: Date) -> (TokenInfo, Actor)? {
        guard let entry = entries[key] else { return nil }
        guard ContinuousClock.now - entry.loadedAt < ttl, entry.token.expiresAt.map({ $0 > now }) ?? true else {
            entries[key] = nil
            return nil
        }
        return (entry.token, entry.actor)
    }

    func put(_ key: String, token: TokenInfo, actor: Actor) {
        if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
        entries[key] = Entry(token: token, actor: actor, loadedAt: .now)
    }

    func invalidateAll() {
        entries.removeAll()
    }
}

extension Application {
    private struct CredentialCacheKey: StorageKey { typealias Value = CredentialCache }
    var credentialCache: CredentialCache {
        get { storage[CredentialCacheKey.self]! }
        set { storage[CredentialCacheKey.self] = newValue }
    }
}

extension Sequence where Element == UInt8 {
    /// Lower-case hex, without a formatter per byte.
    var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(64)
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
