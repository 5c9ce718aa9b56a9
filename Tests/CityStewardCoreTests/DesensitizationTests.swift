import CityStewardCore
import CityStewardTestSupport
import Foundation
import Testing

@Suite("Desensitization (GB/T 37964 families)")
struct DesensitizationTests {
    static func hmac(_ key: String) -> @Sendable (String) -> String {
        // A stand-in keyed hash for Core tests (the service uses HMAC-SHA256): different keys, different outputs.
        { value in String((key + "|" + value).utf8.reduce(UInt64(1469598103934665603)) { ($0 ^ UInt64($1)) &* 1099511628211 }, radix: 16) }
    }

    let id = "440309199001011237"
    let noon = ISO8601DateFormatter().date(from: "2026-03-02T06:47:12Z")!

    @Test func theStandardRulesLeaveNoDirectIdentifier() throws {
        let d = Desensitizer(rules: .standard(consumer: "district-platform"), pseudonymize: Self.hmac("k1"), gridCode: { _ in "440309002001004" })
        #expect(d.text("张伟", .name) == nil)
        #expect(d.text("粤B12345", .plate)?.hasPrefix("p_") == true)
        #expect(d.text("粤B12345", .plate)?.dropFirst(2).allSatisfy { ("a"..."p").contains($0) } == true)
        #expect(d.text("13800138000", .phone)?.hasPrefix("p_") == true)
        #expect(d.text("FACE-0001.jpg", .faceImage) == nil)
        let band = try #require(d.text(String(id.dropLast()) + String(IdentityNumber.checkCharacter(for: String(id.dropLast()))!), .idNumber, at: noon))
        #expect(band == "30-39/M")   // born 1990-01-01, 36 in March 2026, sequence 123 odd
        #expect(d.time(noon) == ISO8601DateFormatter().date(from: "2026-03-02T06:00:00Z"))
        let p = d.position(GeoPoint(lat: 22.62, long: 114.03))
        #expect(p.point == nil && p.grid == "440309002001004")
        #expect(DesensitizationRules.standard(consumer: "x").problems().isEmpty)
    }

    @Test func pseudonymsAreStablePerConsumerAndUnlinkableAcross() {
        let a = Desensitizer(rules: .standard(consumer: "a"), pseudonymize: Self.hmac("key-a"), gridCode: { _ in nil })
        let b = Desensitizer(rules: .standard(consumer: "b"), pseudonymize: Self.hmac("key-b"), gridCode: { _ in nil })
        #expect(a.text("粤B12345", .plate) == a.text("粤B12345", .plate))
        #expect(a.text("粤B12345", .plate) != b.text("粤B12345", .plate))
        // The kind is part of the input: the same digits as a phone and as a person reference differ.
        #expect(a.text("13800138000", .phone) != a.text("13800138000", .personRef))
    }

    @Test func rulesThatWouldLetAnIdentifierOutAreRefused() {
        var rules = DesensitizationRules.standard(consumer: "x")
        rules.rules[.idNumber] = .keep
        rules.rules[.plate] = .generalize
        #expect(Set(rules.problems().map(\.field)) == ["idNumber", "plate"])
        // A kind without a rule is suppressed.
        rules.rules[.phone] = nil
        let d = Desensitizer(rules: rules, pseudonymize: Self.hmac("k"), gridCode: { _ in nil })
        #expect(d.text("13800138000", .phone) == nil)
    }

    /// Property: whatever technique a rule set allows for a direct identifier, the output never matches an ID
    /// number, phone or plate pattern, and a mask never shows more than the first 6 / last 4 of an ID number.
    @Test func noAllowedTechniqueLeaksARawValue() {
        var generator = SystemRandomNumberGenerator()
        let provinces = Array("粤湘川赣桂豫鄂")
        for _ in 0..<300 {
            let first17 = "4403" + String(format: "%02d", Int.random(in: 1...9, using: &generator)) + "19\(Int.random(in: 50...99, using: &generator))"
                + String(format: "%02d%02d", Int.random(in: 1...12, using: &generator), Int.random(in: 1...28, using: &generator))
                + String(format: "%03d", Int.random(in: 0...999, using: &generator))
            let idNumber = first17 + String(IdentityNumber.checkCharacter(for: first17)!)
            let phone = "1\(Int.random(in: 3...9, using: &generator))" + String(format: "%09d", Int.random(in: 0...999_999_999, using: &generator))
            let plate = String(provinces.randomElement(using: &generator)!) + "B" + String(format: "%05d", Int.random(in: 0...99_999, using: &generator))
            #expect(LeakScan.leaks(idNumber + " " + phone + " " + plate).count == 3)   // the scan finds raw values
            for technique in Technique.allCases {
                var rules = DesensitizationRules.standard(consumer: "x")
                for kind in [FieldKind.idNumber, .phone, .plate] where technique.applies(to: kind) { rules.rules[kind] = technique }
                let d = Desensitizer(rules: rules, pseudonymize: Self.hmac("k"), gridCode: { _ in nil })
                let out = [d.text(idNumber, .idNumber), d.text(phone, .phone), d.text(plate, .plate)].compactMap { $0 }.joined(separator: " ")
                #expect(LeakScan.leaks(out).isEmpty, "\(technique): \(out)")
                if technique == .mask, let masked = d.text(idNumber, .idNumber) {
                    #expect(masked.prefix(6) == idNumber.prefix(6) && masked.suffix(4) == idNumber.suffix(4) && masked.dropFirst(6).dropLast(4).allSatisfy { $0 == "*" })
                }
            }
        }
    }
}

@Suite("Flat JSON lines")
struct FlatJSONTests {
    /// Property: on flat objects the fast parser agrees with JSONSerialization; on anything else it declines.
    @Test func agreesWithFoundationOrDeclines() throws {
        let samples = [
            #"{"clientId":"g-1","device":"GATE-01","type":"gate","at":"2026-03-02T06:30:00Z","direction":"in","method":"face","person":"P-1","plate":"粤B12345"}"#,
            #"{ "a" : "x\"y\\z\/\n\t\u00e9\ud83d\ude00" , "n": -1.5e2, "t": true, "f": false, "z": null, "i": 42 }"#,
            #"{}"#,
        ]
        for text in samples {
            let fast = try #require(FlatJSON.object(Array(text.utf8)))
            let slow = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
            #expect(Set(fast.keys) == Set(slow.keys), "\(text)")
            for (k, v) in slow {
                switch v {
                case let s as String: #expect(fast[k] as? String == s, "\(k)")
                case is NSNull: #expect(fast[k] is NSNull, "\(k)")
                case let n as NSNumber:
                    if let b = fast[k] as? Bool { #expect(b == n.boolValue, "\(k)") } else { #expect((fast[k] as? NSNumber)?.doubleValue == n.doubleValue, "\(k)") }
                default: Issue.record("unexpected value for \(k)")
                }
            }
        }
        for text in [#"{"a":{"b":1}}"#, #"{"a":[1]}"#, #"{"a":1"#, #"{"a":1} x"#, #"["a"]"#, "{\"a\":\"\u{01}\"}", #"{"a":"\ud800"}"#, #"{"a":tru}"#] {
            #expect(FlatJSON.object(Array(text.utf8)) == nil, "\(text)")
        }
    }
}
