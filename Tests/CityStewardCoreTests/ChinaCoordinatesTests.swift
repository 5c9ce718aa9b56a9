import CityStewardCore
import Foundation
import Testing

@Suite("GCJ-02")
struct ChinaCoordinatesTests {
    @Test func longhuaGovernmentCentre() {
        // reference/longhua-facts.md §3: AMap's GCJ-02 centre 114.044346, 22.691963 is WGS84 ≈ 22.6947, 114.0393.
        let wgs = ChinaCoordinates.gcj02ToWGS84(GeoPoint(lat: 22.691963, long: 114.044346))
        #expect(abs(wgs.lat - 22.6947) < 0.0003)
        #expect(abs(wgs.long - 114.0393) < 0.0003)
        // The offset in Shenzhen is a few hundred metres.
        let shift = wgs.distance(to: GeoPoint(lat: 22.691963, long: 114.044346))
        #expect(shift > 300 && shift < 800)
    }

    @Test func roundTripsToUnderACentimetre() {
        var rng = SplitMix64(seed: 3)
        for _ in 0..<1000 {
            let p = GeoPoint(lat: Double.random(in: 18...53, using: &rng), long: Double.random(in: 74...134, using: &rng))
            let back = ChinaCoordinates.gcj02ToWGS84(ChinaCoordinates.wgs84ToGCJ02(p))
            #expect(back.distance(to: p) < 0.01)
        }
    }

    @Test func outsideChinaNothingChanges() {
        let london = GeoPoint(lat: 51.5, long: -0.12)
        #expect(ChinaCoordinates.wgs84ToGCJ02(london) == london)
        #expect(ChinaCoordinates.gcj02ToWGS84(london) == london)
    }
}
