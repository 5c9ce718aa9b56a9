import CityStewardCore
import Foundation
import Testing

@Suite("Asset register rules")
struct AssetCoreTests {
    let reference = AssetReference(components: ["01013": "消防设施", "01037": "路灯"], departments: ["LH-XFDD"], maintainers: ["LH-STEWARD-01"], places: ["G01F01"])
    let today = LocalDate(year: 2026, month: 11, day: 18)

    @Test func aComponentIsCheckedWholeEachProblemByItsField() throws {
        let good = AssetRules.validate(AssetInput(code: "xf-01", name: " 消防箱 ", component: "01013", lat: "22.7", long: "114.05", condition: "",
                                                  ownerDepartment: "LH-XFDD", maintainer: "LH-STEWARD-01", installedOn: "2022-03-15", placeCode: "G01F01"),
                                       reference: reference, today: today)
        let terms = try good.get()
        #expect(terms.code == "XF-01" && terms.name == "消防箱" && terms.condition == .good && terms.installedOn == LocalDate(year: 2022, month: 3, day: 15))
        let bad = AssetRules.validate(AssetInput(code: "x!", name: "", component: "0101", lat: "", long: "", condition: "new", ownerDepartment: "LH-NONE",
                                                 maintainer: "X", installedOn: "2026-12-01", placeCode: "G99"), reference: reference, today: today)
        guard case .failure(let problems) = bad else { Issue.record("accepted"); return }
        #expect(problems.problems.map(\.field) == ["code", "name", "component", "lat", "condition", "ownerDepartment", "maintainer", "installedOn", "placeCode"])
    }

    @Test func linesAndOutlinesArePlacedByTheirMiddle() throws {
        let line = Data(#"{"type":"LineString","coordinates":[[114.0,22.0],[114.002,22.002]]}"#.utf8)
        let terms = try AssetRules.validate(AssetInput(code: "K-1", name: "路缘石", component: "01037", geometry: line), reference: reference, today: today).get()
        #expect(abs(terms.position.lat - 22.001) < 1e-9 && abs(terms.position.long - 114.001) < 1e-9)
        #expect(terms.outline == .line([GeoPoint(lat: 22, long: 114), GeoPoint(lat: 22.002, long: 114.002)]))
        // A ring's closing point is not counted twice; GeoJSON text comes back closed.
        let ring = Data(#"{"type":"Polygon","coordinates":[[[114,22],[114.002,22],[114.002,22.002],[114,22.002],[114,22]]]}"#.utf8)
        let green = try AssetRules.validate(AssetInput(code: "G-1", name: "绿地", component: "01037", geometry: ring), reference: reference, today: today).get()
        #expect(green.outline?.points.count == 4 && abs(green.position.lat - 22.001) < 1e-9)
        #expect(green.outline?.geoJSON == #"{"type":"Polygon","coordinates":[[[114.0,22.0],[114.002,22.0],[114.002,22.002],[114.0,22.002],[114.0,22.0]]]}"#)
        for bad in [#"{"type":"Point","coordinates":[200,22]}"#, #"{"type":"LineString","coordinates":[[114,22]]}"#, #"{"type":"Circle"}"#, "{}"] {
            let result = AssetRules.validate(AssetInput(code: "B-1", name: "x", component: "01037", geometry: Data(bad.utf8)), reference: reference, today: today)
            guard case .failure(let p) = result else { Issue.record("accepted \(bad)"); continue }
            #expect(p.problems.map(\.field) == ["geometry"], "\(bad)")
        }
    }

    @Test func aFileNamesEveryBadRowAndEveryCodeTwice() throws {
        let text = "\u{FEFF}部件编号,名称,部件类别,纬度,经度\r\nA-1,灯,01037,22.7,114.0\r\nA-2,灯,01037,x,114.0\r\n\"A-1\",\"灯, 又一盏\",01037,22.7,114.0\r\n"
        let rows = try AssetFile.csv(text).get()
        #expect(rows.map(\.row) == [2, 3, 4] && rows[2].input.name == "灯, 又一盏")
        guard case .failure(let problems) = AssetFile.check(rows, reference: reference, today: today) else { Issue.record("accepted"); return }
        #expect(problems.rows.map { "\($0.row):\($0.field)" } == ["3:lat", "4:code"])
        guard case .failure(let header) = AssetFile.csv("名称,纬度\r\n灯,22\r\n") else { Issue.record("accepted"); return }
        #expect(header.rows.map(\.field) == ["code", "component", "long"])
        guard case .failure(let empty) = AssetFile.check([], reference: reference, today: today) else { Issue.record("accepted"); return }
        #expect(empty.rows.count == 1)
        guard case .failure(let notGeo) = AssetFile.geoJSON(Data("[]".utf8)) else { Issue.record("accepted"); return }
        #expect(notGeo.rows.count == 1)
    }

    @Test func repairTimesArePooledAndGapsTakenPerComponent() {
        let a = UUID(), b = UUID()
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        func h(_ hours: Double) -> Date { t0.addingTimeInterval(hours * 3600) }
        let figures = AssetReliability.of([
            .init(asset: a, reportedAt: h(0), closedAt: h(4)), .init(asset: a, reportedAt: h(100), closedAt: h(102)),
            .init(asset: b, reportedAt: h(50), closedAt: nil), .init(asset: a, reportedAt: h(300), closedAt: h(306)),
        ])
        // Repairs 4, 2, 6 → 4 h; gaps of a: 100, 200 → 150 h (b's one report has no gap; a and b are not interleaved).
        #expect(figures == AssetReliability(failures: 4, repaired: 3, meanHoursToRepair: 4, meanHoursBetweenFailures: 150))
        #expect(AssetReliability.of([]) == AssetReliability(failures: 0, repaired: 0, meanHoursToRepair: nil, meanHoursBetweenFailures: nil))
    }
}
