import CityStewardCore
import CityStewardTestSupport
import Foundation
import Testing

@Suite("Area codes")
struct AreaCodeTests {
    @Test func validCodesFollowTheNationalStructure() {
        #expect(AreaCode.validate("440309", kind: .district, parentCode: nil) == nil)
        #expect(AreaCode.validate("440309002", kind: .street, parentCode: "440309") == nil)
        #expect(AreaCode.validate("440309002001", kind: .community, parentCode: "440309002") == nil)
        #expect(AreaCode.validate("440309002001V01", kind: .village, parentCode: "440309002001") == nil)
        #expect(AreaCode.validate("440309002001007", kind: .grid, parentCode: "440309002001V01") == nil)
        #expect(AreaCode.validate("440309002001007B03", kind: .building, parentCode: "440309002001007") == nil)
    }

    @Test func wrongShapesAndParentsAreRefused() {
        #expect(AreaCode.validate("44030", kind: .district, parentCode: nil) != nil)
        #expect(AreaCode.validate("4403090021", kind: .street, parentCode: "440309") != nil)
        #expect(AreaCode.validate("440309006", kind: .street, parentCode: "440310") != nil)        // not under the parent
        #expect(AreaCode.validate("440309002002007", kind: .grid, parentCode: "440309002001V01") != nil) // other community
        #expect(AreaCode.validate("440309002001V1", kind: .village, parentCode: "440309002001") != nil)
        #expect(AreaCode.validate("44030900200100A", kind: .grid, parentCode: "440309002001") != nil)
        #expect(AreaCode.validate("440309002", kind: .street, parentCode: "440309002") != nil)     // same as parent
    }

    @Test func pathEncodingRoundTrips() {
        let ids = [UUID(), UUID(), UUID()]
        #expect(Area.decodePath(Area.encodePath(ids)) == ids)
        #expect(Area.encodePath(ids).hasPrefix(Area.encodePath(Array(ids.prefix(2)))))
    }
}

@Suite("GeoJSON import")
struct GeoJSONTests {
    func collection(_ features: [String]) -> Data {
        Data("{\"type\":\"FeatureCollection\",\"features\":[\(features.joined(separator: ","))]}".utf8)
    }

    func feature(code: String, name: String = "网格", ring: String = "[[114.0,22.6],[114.001,22.6],[114.001,22.601],[114.0,22.601],[114.0,22.6]]",
                 type: String = "Polygon", extra: String = "") -> String {
        "{\"type\":\"Feature\",\"properties\":{\"code\":\"\(code)\",\"name\":\"\(name)\"\(extra)},\"geometry\":{\"type\":\"\(type)\",\"coordinates\":[\(ring)]}}"
    }

    @Test func readsValidFeatures() throws {
        let data = collection([feature(code: "440309002001101"), feature(code: "440309002001102", extra: ",\"name_en\":\"Grid 102\"")])
        let features = try AreaGeoJSON.parse(data, parentKind: .village, parentCode: "440309002001V01").get()
        #expect(features.count == 2)
        #expect(features[0].kind == .grid)
        #expect(features[1].nameEn == "Grid 102")
        #expect(abs(features[0].shape.areaSquareMetres - 11_400) < 300)
    }

    @Test func readsMultiPolygons() throws {
        let ring = "[[114.0,22.6],[114.001,22.6],[114.001,22.601],[114.0,22.601],[114.0,22.6]]"
        let data = collection([feature(code: "440309002001101", ring: "[\(ring)],[[[114.01,22.6],[114.011,22.6],[114.011,22.601],[114.01,22.6]]]", type: "MultiPolygon")])
        let features = try AreaGeoJSON.parse(data, parentKind: .village, parentCode: "440309002001V01").get()
        #expect(features[0].shape.polygons.count == 2)
    }

    func problems(_ data: Data, parentKind: AreaKind = .village, parent: String = "440309002001V01") -> [GeoJSONProblem] {
        switch AreaGeoJSON.parse(data, parentKind: parentKind, parentCode: parent) {
        case .success: return []
        case .failure(let p): return p.problems
        }
    }

    @Test func rejectsTheWholeFileNamingEachBadFeature() {
        let data = collection([
            feature(code: "440309002001101"),
            feature(code: "440309002001102", ring: "[[114.0,22.6],[114.001,22.6],[114.001,22.601],[114.0,22.601]]"),   // not closed
            feature(code: "440309002002103"),                                                                       // wrong community
            feature(code: "440309002001101"),                                                                       // duplicate
            feature(code: "440309002001105", ring: "[[22.6,114.0],[22.6,114.001],[22.601,114.001],[22.6,114.0]]"),   // lat/long swapped (lat > 90)
            "{\"type\":\"Feature\",\"properties\":{\"name\":\"x\"},\"geometry\":null}",                           // no code
            feature(code: "440309002001107", type: "Point"),
        ])
        let found = problems(data)
        #expect(found.map(\.featureIndex) == [1, 2, 3, 4, 5, 6])
        #expect(found[0].reason.en.contains("not closed"))
        #expect(found[1].reason.en.contains("does not extend"))
        #expect(found[2].reason.en.contains("repeats feature 0"))
        #expect(found[3].reason.en.contains("outside WGS84"))
        #expect(found[4].reason.en.contains("code is missing"))
        #expect(found[5].reason.en.contains("Polygon or MultiPolygon"))
        #expect(found[0].describe(.zhHans).hasPrefix("第 1 个要素"))
    }

    @Test func rejectsFilesThatAreNotFeatureCollections() {
        #expect(problems(Data("not json".utf8)).first?.featureIndex == nil)
        #expect(problems(Data("{\"type\":\"Feature\"}".utf8)).first?.reason.en.contains("FeatureCollection") == true)
        #expect(problems(collection([])).first?.reason.en.contains("no features") == true)
    }

    @Test func rejectsKindsThatCannotLiveUnderTheParent() {
        let data = collection([feature(code: "440309002001101", extra: ",\"kind\":\"street\"")])
        #expect(problems(data).first?.reason.en.contains("cannot contain") == true)
        let unknown = collection([feature(code: "440309002001101", extra: ",\"kind\":\"planet\"")])
        #expect(problems(unknown).first?.reason.en.contains("unknown area kind") == true)
    }

    @Test func rejectsHolesOutsideTheOuterRing() {
        let outer = "[[114.0,22.6],[114.001,22.6],[114.001,22.601],[114.0,22.601],[114.0,22.6]]"
        let hole = "[[114.01,22.6],[114.011,22.6],[114.011,22.601],[114.01,22.6]]"
        let data = collection([feature(code: "440309002001101", ring: "\(outer),\(hole)")])
        #expect(problems(data).first?.reason.en.contains("hole 1") == true)
    }

    @Test func exportsRFC7946() throws {
        let id = UUID()
        let area = Area(id: id, kind: .grid, code: "440309002001001", name: "网格一", nameEn: "Grid 1", parentID: nil, streetID: nil,
                        path: [id], shape: AreaBuilder.square(minLat: 22.6, minLong: 114.0, size: 0.001), centre: nil)
        let data = try JSONEncoder().encode(FeatureCollection(areas: [area], language: .en))
        let object = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        #expect(object["type"] as? String == "FeatureCollection")
        let feature = (object["features"] as! [[String: Any]])[0]
        let geometry = feature["geometry"] as! [String: Any]
        #expect(geometry["type"] as? String == "Polygon")
        let first = ((geometry["coordinates"] as! [[[Double]]])[0])[0]
        #expect(first == [114.0, 22.6])  // [long, lat]
        #expect((feature["properties"] as! [String: Any])["label"] as? String == "Grid 1")
        // And it reads back.
        let again = try AreaGeoJSON.parse(data, parentKind: .community, parentCode: "440309002001").get()
        let a = again[0].shape.polygons[0].outer, b = area.shape!.polygons[0].outer
        #expect(a.count == b.count)
        #expect(zip(a, b).allSatisfy { abs($0.lat - $1.lat) < 1e-12 && abs($0.long - $1.long) < 1e-12 })
    }
}


@Suite("Area import plans")
struct AreaImportPlanTests {
    let street = UUID()
    func square(_ lat: Double, _ long: Double) -> AreaShape {
        AreaShape(polygons: [.rectangle(GeoBox(minLat: lat, minLong: long, maxLat: lat + 0.001, maxLong: long + 0.001))])
    }

    @Test func anImportAddsReplacesInPlaceOrRefusesWhatItMayNotTouch() throws {
        let village = Area(id: UUID(), kind: .village, code: "440309002001V01", name: "松仔园村", parentID: UUID(), streetID: street, path: [street],
                           shape: nil, centre: nil)
        let grid = Area(id: UUID(), kind: .grid, code: "440309002001001", name: "网格 001", parentID: village.id, streetID: street,
                        path: [street, village.id], shape: square(22.62, 114.03), centre: nil)
        let elsewhere = Area(id: UUID(), kind: .grid, code: "440309002001009", name: "网格 009", parentID: UUID(), streetID: street, path: [street],
                             shape: square(22.60, 114.00), centre: nil)
        let existing = [grid.code: grid, elsewhere.code: elsewhere]
        let same = AreaFeature(index: 0, code: grid.code, name: grid.name, nameEn: nil, kind: .grid, shape: grid.shape!)
        let surveyed = AreaFeature(index: 1, code: grid.code, name: "网格 001（测绘）", nameEn: nil, kind: .grid, shape: square(22.621, 114.031))
        let fresh = AreaFeature(index: 2, code: "440309002001002", name: "网格 002", nameEn: nil, kind: .grid, shape: square(22.63, 114.03))
        let moved = AreaFeature(index: 3, code: elsewhere.code, name: "网格 009", nameEn: nil, kind: .grid, shape: square(22.60, 114.00))

        // Without replace, a stored code is a problem; a new one is added.
        #expect(throws: GeoJSONProblems.self) { try AreaImport.plan([same, fresh], existing: existing, parent: village, replace: false).get() }
        let added = try AreaImport.plan([fresh], existing: existing, parent: village, replace: false).get()
        #expect(added.creates.map(\.code) == [fresh.code] && added.changes.isEmpty)
        // With replace, the same terms stay, a new outline and name replace the stored ones in place.
        #expect(try AreaImport.plan([same], existing: existing, parent: village, replace: true).get().writesNothing)
        let replaced = try AreaImport.plan([surveyed, fresh], existing: existing, parent: village, replace: true).get()
        #expect(replaced.changes.count == 1 && replaced.changes[0].current.id == grid.id && replaced.changes[0].reshaped && replaced.changes[0].renamed)
        #expect(replaced.creates.map(\.code) == [fresh.code])
        // An area under another parent is never moved by an import.
        guard case .failure(let problems) = AreaImport.plan([moved], existing: existing, parent: village, replace: true) else {
            Issue.record("moving an area was planned")
            return
        }
        #expect(problems.problems.map(\.featureIndex) == [3])
    }
}
