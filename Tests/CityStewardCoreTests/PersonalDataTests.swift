import CityStewardCore
import Foundation
import Testing

@Suite("Identity numbers and masking")
struct PersonalDataTests {
    /// Builds a valid 18-digit number from its parts.
    func make(_ address: String, _ birth: String, _ sequence: String) -> String {
        let first17 = address + birth + sequence
        return first17 + String(IdentityNumber.checkCharacter(for: first17)!)
    }

    @Test func knownCheckCharacters() {
        // The worked example of GB 11643-1999 (11010519491231002X) and a sum that gives 1.
        #expect(IdentityNumber.checkCharacter(for: "11010519491231002") == "X")
        #expect((try? IdentityNumber.parse("11010519491231002X").get())?.isMale == false)
        #expect((try? IdentityNumber.parse("11010519491231002x").get())?.value == "11010519491231002X")
    }

    @Test func validNumbersAndTheirParts() throws {
        let text = make("440309", "19900307", "123")
        let id = try IdentityNumber.parse(text).get()
        #expect(id.addressCode == "440309")
        #expect(id.birthDate == LocalDate("1990-03-07"))
        #expect(id.isMale)                                     // 3 is odd
        #expect(id.age(on: LocalDate("2026-03-06")!) == 35)
        #expect(id.age(on: LocalDate("2026-03-07")!) == 36)
        #expect(id.description == "440309********" + String(text.suffix(4)))
    }

    @Test func legacyFifteenDigitNumbersAreUpgraded() throws {
        let id = try IdentityNumber.parse("440306850101123").get()
        #expect(id.value.count == 18)
        #expect(id.value.hasPrefix("44030619850101123"))
        #expect(id.birthDate == LocalDate("1985-01-01"))
        #expect(IdentityNumber.parse(id.value) == .success(id))
    }

    @Test func everySingleDigitErrorIsCaught() {
        let text = make("440309", "19880615", "004")
        for i in 0..<17 {
            var chars = Array(text)
            let digit = chars[i].wholeNumberValue!
            chars[i] = Character(String((digit + 1) % 10))
            let result = IdentityNumber.parse(String(chars))
            #expect(result != .success(try! IdentityNumber.parse(text).get()), "position \(i)")
            if case .success = result { Issue.record("a changed digit at \(i) still validates") }
        }
    }

    @Test func problemsAreNamed() {
        #expect(IdentityNumber.parse("12345") == .failure(.length))
        #expect(IdentityNumber.parse("44030919900307A23X") == .failure(.characters))
        #expect(IdentityNumber.parse(make("440309", "19900230", "123")) == .failure(.birthDate))
        let valid = make("440309", "19900307", "123")
        let wrongCheck = String(valid.dropLast()) + (valid.last == "1" ? "2" : "1")
        #expect(IdentityNumber.parse(wrongCheck) == .failure(.checkCharacter))
        #expect(IdentityNumber.Problem.checkCharacter.message.zh.contains("校验位"))
    }

    @Test func masks() {
        #expect(Masking.phone("13800138000") == "138****8000")
        #expect(Masking.phone("+86 138 0013 8000") == "138****8000")
        #expect(Masking.phone("0755-2345678") == "*******5678")
        #expect(Masking.identityNumber("44030919900307123X") == "440309********123X")
        #expect(Masking.name("张三丰") == "张**")
        #expect(Masking.name("李四") == "李*")
        #expect(Masking.name("欧阳修") == "欧阳*")
        #expect(Masking.name("Wang Wei") == "W***")
        #expect(Masking.plate("粤B12345") == "粤B***45")
        #expect(Masking.plate("粤B·D12345") == "粤B****45")
    }

    /// Property: a masked mobile number or ID number shows only the characters the rule names.
    @Test func masksNeverLeakHiddenDigits() {
        var rng = SplitMix64(seed: 11)
        for _ in 0..<500 {
            let phone = "1" + String((0..<10).map { _ in Character(String(Int.random(in: 0...9, using: &rng))) })
            let masked = Masking.phone(phone)
            #expect(Array(masked)[3..<7].allSatisfy { $0 == "*" })
            #expect(masked.count == 11)
            let id = make("440309", "19\(Int.random(in: 50...99, using: &rng))0101", String(format: "%03d", Int.random(in: 0...999, using: &rng)))
            let maskedID = Masking.identityNumber(id)
            #expect(Array(maskedID)[6..<14].allSatisfy { $0 == "*" })
            #expect(maskedID.prefix(6) == id.prefix(6) && maskedID.suffix(4) == id.suffix(4))
        }
    }
}

@Suite("Residents register rules")
struct ResidentRulesTests {
    @Test func csvRecordsFollowRFC4180() {
        let text = "\u{FEFF}a,b,c\r\n\"x, y\",\"say \"\"hi\"\"\",\r\n\n\"multi\nline\",2,3"
        #expect(ResidentCSV.records(text) == [["a", "b", "c"], ["x, y", "say \"hi\"", ""], ["multi\nline", "2", "3"]])
    }

    @Test func namesMayHoldAnyChineseCharacterButNoDigits() {
        let base = ResidentInput(name: "陆刚", idNumber: "44030919900101123" + String(IdentityNumber.checkCharacter(for: "44030919900101123")!),
                                 phone: "", role: "业主", building: "B", unit: "1-101", moveIn: "2020-01-01")
        #expect(ResidentRules.validate(base, knownBuildings: ["B"]).isSuccess)
        for bad in ["张3", "李４", "", String(repeating: "王", count: 31)] {
            var input = base
            input.name = bad
            #expect(!ResidentRules.validate(input, knownBuildings: ["B"]).isSuccess, "\(bad)")
        }
        #expect(ResidentRole.parse("租户") == .tenant && ResidentRole.parse("Owner") == .owner && ResidentRole.parse("房客") == nil)
    }

    @Test func theDemoPeopleAreAllValidAndDistinct() {
        let people = DemoResidents.make(count: 300, buildings: ["B1", "B2"])
        #expect(people.count == 300 && Set(people.map(\.idNumber)).count == 300)
        #expect(people.allSatisfy { ResidentRules.validate($0, knownBuildings: ["B1", "B2"]).isSuccess })
        #expect(people.filter { $0.role == "tenant" }.count > 150)
        #expect(DemoResidents.make(count: 5, buildings: ["B1"]) == DemoResidents.make(count: 5, buildings: ["B1"]))
    }
}

extension Result {
    var isSuccess: Bool {
        if case .success = self { return true }
        return false
    }
}
