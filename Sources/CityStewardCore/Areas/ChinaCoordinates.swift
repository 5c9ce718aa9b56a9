import Foundation

/// GCJ-02, the obfuscated datum Chinese map SDKs (AMap, Tencent) report positions in. We store WGS84; positions
/// arriving in GCJ-02 are converted on the way in, and only a map drawn on Chinese tiles converts on the way out.
/// The forward transform is the published algorithm (Krasovsky 1940 ellipsoid); the inverse is solved by
/// iteration to well under a centimetre. Outside mainland China GCJ-02 equals WGS84.
public enum ChinaCoordinates {
    static let a = 6_378_245.0
    static let ee = 0.006_693_421_622_965_943_23

    /// Whether the offset applies (the rough mainland box the algorithm uses).
    public static func isInMainlandBox(_ p: GeoPoint) -> Bool {
        p.long >= 72.004 && p.long <= 137.8347 && p.lat >= 0.8293 && p.lat <= 55.8271
    }

    public static func wgs84ToGCJ02(_ p: GeoPoint) -> GeoPoint {
        guard isInMainlandBox(p) else { return p }
        let (dLat, dLong) = delta(p)
        return GeoPoint(lat: p.lat + dLat, long: p.long + dLong)
    }

    public static func gcj02ToWGS84(_ g: GeoPoint) -> GeoPoint {
        guard isInMainlandBox(g) else { return g }
        // Fixed-point iteration: w ← w − (forward(w) − g). Converges in a few steps (the offset is smooth).
        var w = GeoPoint(lat: g.lat - delta(g).0, long: g.long - delta(g).1)
        for _ in 0..<10 {
            let f = wgs84ToGCJ02(w)
            let eLat = f.lat - g.lat, eLong = f.long - g.long
            w = GeoPoint(lat: w.lat - eLat, long: w.long - eLong)
            if abs(eLat) < 1e-10 && abs(eLong) < 1e-10 { break }
        }
        return w
    }

    static func delta(_ p: GeoPoint) -> (Double, Double) {
        let x = p.long - 105.0, y = p.lat - 35.0
        var dLat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt(abs(x))
        dLat += (20.0 * sin(6.0 * x * .pi) + 20.0 * sin(2.0 * x * .pi)) * 2.0 / 3.0
        dLat += (20.0 * sin(y * .pi) + 40.0 * sin(y / 3.0 * .pi)) * 2.0 / 3.0
        dLat += (160.0 * sin(y / 12.0 * .pi) + 320 * sin(y * .pi / 30.0)) * 2.0 / 3.0
        var dLong = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt(abs(x))
        dLong += (20.0 * sin(6.0 * x * .pi) + 20.0 * sin(2.0 * x * .pi)) * 2.0 / 3.0
        dLong += (20.0 * sin(x * .pi) + 40.0 * sin(x / 3.0 * .pi)) * 2.0 / 3.0
        dLong += (150.0 * sin(x / 12.0 * .pi) + 300.0 * sin(x / 30.0 * .pi)) * 2.0 / 3.0
        let radLat = p.lat / 180.0 * .pi
        var magic = sin(radLat)
        magic = 1 - ee * magic * magic
        let sqrtMagic = sqrt(magic)
        dLat = (dLat * 180.0) / ((a * (1 - ee)) / (magic * sqrtMagic) * .pi)
        dLong = (dLong * 180.0) / (a / sqrtMagic * cos(radLat) * .pi)
        return (dLat, dLong)
    }
}
