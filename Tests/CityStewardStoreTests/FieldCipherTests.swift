import CityStewardCore
import CityStewardStore
import Crypto
import Foundation
import Testing

@Suite("Field cipher and key ring")
struct FieldCipherTests {
    @Test func sealsOpensAndIndexesUnderARing() throws {
        let k1 = SymmetricKey(size: .bits256), k2 = SymmetricKey(size: .bits256)
        let old = FieldCipher(ring: [("v1", k1)])
        let sealed = try old.seal("13800138000")
        #expect(sealed.hasPrefix("v1:") && !sealed.contains("13800138000"))
        #expect(try old.seal("13800138000") != sealed)   // a fresh nonce every time
        let ring = FieldCipher(ring: [("v1", k1), ("v2", k2)])
        #expect(try ring.open(sealed) == "13800138000")
        #expect(try ring.seal("x").hasPrefix("v2:"))
        #expect(ring.blindIndexes("13800138000") == [old.blindIndex("13800138000"), ring.blindIndex("13800138000")])
        #expect(old.blindIndex("a") == old.blindIndex("a") && old.blindIndex("a") != old.blindIndex("b"))
        // Another key opens nothing; an unknown version is named.
        #expect(throws: FieldCipher.Failure.self) { try FieldCipher(ring: [("v1", k2)]).open(sealed) }
        #expect(throws: FieldCipher.Failure.self) { try FieldCipher(ring: [("v2", k2)]).open(sealed) }
        // The derived tracking token does not change when a key is added.
        #expect(old.derivedToken("tracking", "form-1") == ring.derivedToken("tracking", "form-1"))
    }

    @Test func theKeyFileFormat() throws {
        let k = SymmetricKey(size: .bits256)
        let bare = k.withUnsafeBytes { Data($0).base64EncodedString() }
        #expect(FieldCipher.parseRing(bare + "\n")?.map(\.version) == ["v1"])   // the first format: one bare key
        let text = FieldCipher.formatRing([("v1", k), ("v2", SymmetricKey(size: .bits256))])
        #expect(text.hasPrefix("#") && FieldCipher.parseRing(text)?.map(\.version) == ["v1", "v2"])
        for bad in ["", "v1 notbase64", "v1 \(bare)\nv1 \(bare)", "version1 \(bare)", "v1 " + Data(repeating: 1, count: 16).base64EncodedString()] {
            #expect(FieldCipher.parseRing(bad) == nil, "\(bad)")
        }
    }
}
