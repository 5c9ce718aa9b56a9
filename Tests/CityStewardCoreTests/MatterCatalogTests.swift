import CityStewardCore
import Foundation
import Testing

@Suite("Entrustable-matter catalog")
struct MatterCatalogTests {
    func input(code: String = "m-san-02", name: String = "垃圾分类督导", domain: String = "sanitation", owner: String = "LH-CGJ", unit: String = "户",
               fen: Double? = 300, hours: String = "", beyond: Bool = false, note: String = "") -> MatterInput {
        MatterInput(code: code, name: name, nameEn: "", domain: domain, ownerDepartment: owner, unit: unit, benchmarkFen: fen, timeLimitHours: hours,
                    beyondAuthority: beyond, note: note)
    }

    func fields<T>(_ r: Result<T, FieldProblems>) -> [String] {
        if case .failure(let p) = r { return p.problems.map(\.field) }
        return []
    }

    @Test func aNewMatterIsCheckedWhole() throws {
        let made = try MatterRules.validate(input(hours: "48"), existing: nil, codeTaken: false, departments: ["LH-CGJ"]).get()
        #expect(made.code == "M-SAN-02" && made.nameEn == "垃圾分类督导" && made.benchmarkFen == 300 && made.timeLimitHours == 48 && !made.beyondAuthority)
        #expect(fields(MatterRules.validate(input(code: "SAN2", name: "", domain: "cleaning", owner: "LH-NOPE", unit: "", fen: 1.5, hours: "半天"),
                                            existing: nil, codeTaken: false, departments: ["LH-CGJ"]))
                == ["code", "name", "domain", "ownerDepartment", "unit", "benchmarkFen", "timeLimitHours"])
        #expect(fields(MatterRules.validate(input(), existing: nil, codeTaken: true, departments: ["LH-CGJ"])) == ["code"])
        #expect(fields(MatterRules.validate(input(fen: nil, hours: "0"), existing: nil, codeTaken: false, departments: ["LH-CGJ"])) == ["benchmarkFen", "timeLimitHours"])
    }

    @Test func anEditKeepsItsCodeAndSaysWhy() throws {
        let current = try MatterRules.validate(input(), existing: nil, codeTaken: false, departments: ["LH-CGJ"]).get()
        #expect(fields(MatterRules.validate(input(fen: 350), existing: current, codeTaken: false, departments: ["LH-CGJ"])) == ["note"])
        let edited = try MatterRules.validate(input(code: "ignored", fen: 350, beyond: true, note: "2027 年标准"), existing: current, codeTaken: false, departments: []).get()
        #expect(edited.code == "M-SAN-02" && edited.benchmarkFen == 350 && edited.beyondAuthority, "the code stays; an owner that was there before stays valid")
        #expect(fields(MatterRules.validate(input(owner: "LH-NEW", note: "换部门"), existing: current, codeTaken: false, departments: ["LH-CGJ"])) == ["ownerDepartment"])
    }

    @Test func aStreetListHoldsCatalogMattersTheStewardMayTakeOn() throws {
        let san = try MatterRules.validate(input(), existing: nil, codeTaken: false, departments: ["LH-CGJ"]).get()
        var law = try MatterRules.validate(input(code: "M-LAW-01", name: "违法建设查处", domain: "governance"), existing: nil, codeTaken: false, departments: ["LH-CGJ"]).get()
        law.beyondAuthority = true
        let catalog = [san.code: san, law.code: law]
        #expect(try MatterRules.validateList(["M-SAN-02", " M-SAN-02", ""], note: "", catalog: catalog).get() == ["M-SAN-02"])
        #expect(fields(MatterRules.validateList(["M-LAW-01", "M-XXX-01"], note: "", catalog: catalog)) == ["matters", "matters"])

        let list = StreetMatterList(streetID: UUID(), matters: ["M-SAN-02"], version: 1, changedBy: "民治街道办", changedAt: Date(timeIntervalSince1970: 0), note: nil)
        #expect(MatterRules.entrustRefusal("M-SAN-02", streetList: list, catalog: catalog) == nil)
        #expect(MatterRules.entrustRefusal("M-SAN-02", streetList: nil, catalog: catalog)?.en.contains("no list") == true)
        #expect(MatterRules.entrustRefusal("M-PAT-01", streetList: list, catalog: catalog)?.en.contains("not on the street's list") == true)
        #expect(MatterRules.entrustRefusal("M-LAW-01", streetList: list, catalog: catalog)?.en.contains("beyond the steward's authority") == true)
    }

    @Test func aFlaggedMattersCategoriesAreBeyondTheStewardsAuthority() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let taxonomy = try TaxonomyData.decode(Data(contentsOf: root.appendingPathComponent("Resources/Taxonomy/taxonomy.json")))
        let code = try #require(taxonomy.matters.first?.categories.first)
        let category = try #require(taxonomy.eventCategory(code))
        #expect(!taxonomy.routingCategory(category, departments: [:]).beyondStewardAuthority)
        var flagged = taxonomy
        flagged.matters[0].beyondAuthority = true
        #expect(flagged.routingCategory(category, departments: [:]).beyondStewardAuthority)
    }
}
