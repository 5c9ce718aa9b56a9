import CityStewardCore
import Foundation
import Testing

@Suite("Data consumer register")
struct ConsumerRulesTests {
    let street = UUID()
    func area(_ kind: AreaKind, _ code: String) -> Area {
        Area(id: UUID(), kind: kind, code: code, name: code, parentID: street, streetID: street, path: [street], shape: nil, centre: nil)
    }

    var known: [String: Area] {
        ["440309002001V01": area(.village, "440309002001V01"), "440309005004V01": area(.village, "440309005004V01"),
         "440309002001V01G004": area(.grid, "440309002001V01G004")]
    }

    func fields<T>(_ r: Result<T, FieldProblems>) -> [String] {
        if case .failure(let p) = r { return p.problems.map(\.field) }
        return []
    }

    @Test func aScopeNamesVillagesAndKindsThatExist() throws {
        let valid = try ConsumerRules.validate(ConsumerScope(name: " 区大数据平台 ", villages: ["440309005004V01", "440309002001V01", "440309002001V01"],
                                                             kinds: ["gate", "ai", "ai"]), villages: known).get()
        #expect(valid.name == "区大数据平台")
        #expect(valid.villages.map(\.code) == ["440309002001V01", "440309005004V01"], "sorted, each once")
        #expect(Set(valid.kinds) == [.gate, .ai] && valid.kinds.count == 2)
        // Everything wrong at once, each by its field.
        let bad = ConsumerScope(name: "", villages: [], kinds: [])
        #expect(fields(ConsumerRules.validate(bad, villages: known)) == ["name", "villages", "kinds"])
        let wrong = ConsumerScope(name: "x", villages: ["440309002001V01G004", "nope"], kinds: ["radar"])
        #expect(fields(ConsumerRules.validate(wrong, villages: known)) == ["villages", "villages", "kinds"], "a grid is not a village; an unknown code; an unknown kind")
    }

    @Test func aNewConsumerHasAFreeCodeAndAReadingAccount() throws {
        let scope = ConsumerScope(name: "区视频共享平台", villages: ["440309002001V01"], kinds: ["ai"])
        let ok = try ConsumerRules.validate(ConsumerRegistration(code: " Video-Platform ", account: "data-platform", scope: scope), villages: known,
                                            codeTaken: false, accountMayRead: true).get()
        #expect(ok.code == "video-platform", "codes are lower case")
        #expect(fields(ConsumerRules.validate(ConsumerRegistration(code: "视频", account: "x", scope: scope), villages: known,
                                              codeTaken: false, accountMayRead: false)) == ["code", "account"])
        #expect(fields(ConsumerRules.validate(ConsumerRegistration(code: "video-platform", account: "x", scope: ConsumerScope(name: "", villages: [], kinds: ["ai"])),
                                              villages: known, codeTaken: true, accountMayRead: true)) == ["code", "name", "villages"])
    }

    @Test func rulesAsSentAreCheckedWhole() throws {
        let rules = try DesensitizationRules.parse(["name": "mask", "phone": "pseudonym"], consumer: "c", version: 2).get()
        #expect(rules.technique(for: .name) == .mask && rules.technique(for: .faceImage) == .suppress, "a kind left out is suppressed")
        #expect(fields(DesensitizationRules.parse(["nose": "keep", "phone": "blur", "name": "keep"], consumer: "c", version: 2))
                == ["rules.nose", "rules.phone", "rules.name"], "an unknown kind, an unknown technique, and keep on a direct identifier")
    }
}
