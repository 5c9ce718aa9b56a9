import Foundation
import CityStewardCore
import Testing

@Suite("Feed push rules")
struct FeedPushRuleTests {
    @Test func backoffDoublesFromFiveSecondsToAnHour() {
        #expect((0...6).map { FeedPush.backoff(afterFailures: $0) } == [0, 5, 10, 20, 40, 80, 160])
        #expect(FeedPush.backoff(afterFailures: 10) == 2560)
        #expect(FeedPush.backoff(afterFailures: 11) == 3600 && FeedPush.backoff(afterFailures: 500) == 3600)
    }

    @Test func signatureHeadersRoundTripAndStrangersAreRefused() {
        let header = FeedPush.header(timestamp: 1_790_000_000, macHex: "ab12")
        #expect(header == "t=1790000000,v1=ab12")
        #expect(FeedPush.parse(header: header)! == (1_790_000_000, ["ab12"]))
        #expect(FeedPush.parse(header: "t=5, v1=AA, v1=bb, v0=zz")! == (5, ["aa", "bb"]))
        #expect(FeedPush.parse(header: "v1=ab") == nil && FeedPush.parse(header: "t=1") == nil && FeedPush.parse(header: "garbage") == nil)
        #expect(FeedPush.signedPayload(timestamp: 7, body: Array("{}".utf8)) == Array("7.{}".utf8))
    }

    @Test func webhookAddressesAndSecrets() {
        for good in ["https://platform.example.gov.cn/hooks/citysteward", "http://127.0.0.1:8089/hook?x=1"] {
            #expect(FeedPush.validate(url: good) == nil, "\(good)")
        }
        for bad in ["ftp://x/y", "https://", "/relative", "https://u:p@host/x", "https://host/x#frag", "https://host/" + String(repeating: "a", count: 2000)] {
            #expect(FeedPush.validate(url: bad) != nil, "\(bad)")
        }
        #expect(FeedPush.validate(secret: String(repeating: "a", count: 32)) == nil)
        #expect(FeedPush.validate(secret: "short") != nil && FeedPush.validate(secret: String(repeating: "a", count: 31) + " ") != nil)
    }
}

@Suite("CSV writing")
struct CSVWritingTests {
    @Test func quotesWhatNeedsQuotingAndDefusesFormulas() {
        #expect(CSV.line(["a", "b,c", "say \"hi\"", "two\nlines", ""]) == "a,\"b,c\",\"say \"\"hi\"\"\",\"two\nlines\",\r\n")
        #expect(CSV.field("=SUM(A1:A9)") == "'=SUM(A1:A9)" && CSV.field("@cmd") == "'@cmd" && CSV.field("+86 138") == "'+86 138")
        #expect(CSV.field("-12.50") == "-12.50" && CSV.field("-") == "'-")
        let doc = CSV.document(header: ["姓名", "金额"], rows: [["张*", "1,200"]])
        #expect(doc == "\u{FEFF}姓名,金额\r\n张*,\"1,200\"\r\n")
        #expect(ResidentCSV.records(String(doc.dropFirst())) == [["姓名", "金额"], ["张*", "1,200"]])
    }
}

@Suite("W3C datetimes")
struct DatetimeParsingTests {
    @Test func zonesFractionsAndNonsense() {
        let base = 1_794_990_400.0   // 2026-11-18T08:26:40Z
        #expect(Open311Projection.parseDatetime("2026-11-18T08:26:40Z")?.timeIntervalSince1970 == base)
        #expect(Open311Projection.parseDatetime(" 2026-11-18T16:26:40+08:00 ")?.timeIntervalSince1970 == base)
        #expect(Open311Projection.parseDatetime("2026-11-18T02:56:40-05:30")?.timeIntervalSince1970 == base)
        #expect(Open311Projection.parseDatetime("2026-11-18T08:26:40.25Z")?.timeIntervalSince1970 == base + 0.25)
        #expect(Open311Projection.parseDatetime("2026-11-18T08:26:40.123456789123Z").map { abs($0.timeIntervalSince1970 - base - 0.123456789) < 1e-6 } == true)
        for bad in ["2026-02-30T00:00:00Z", "2026-13-01T00:00:00Z", "2026-11-18T24:00:00Z", "2026-11-18T08:26:40", "2026-11-18 08:26:40Z",
                    "2026-11-18T08:26:40.Z", "2026-11-18T08:26:40+0800", "2026-1a-18T08:26:40Z", "", "二〇二六-11-18T08:26:40Z"] {
            #expect(Open311Projection.parseDatetime(bad) == nil, "\(bad)")
        }
        #expect(Masking.plate("粤B 12345") == "粤B***45" && Masking.plate("粤·B1") == "***")
    }
}

@Suite("Random UUIDs")
struct RandomUUIDTests {
    @Test func versionFourVariantOneAndNoRepeats() {
        let ids = (0..<2000).map { _ in UUID.random() }
        #expect(Set(ids).count == ids.count)
        for id in ids.prefix(200) {
            let u = id.uuid
            #expect(u.6 >> 4 == 4 && u.8 >> 6 == 0b10)
            #expect(UUID(uuidString: id.uuidString) == id && id.uuidString.count == 36)
        }
        // Every nibble of the random part varies.
        let firstNibbles = Set(ids.map { $0.uuidString.first! })
        #expect(firstNibbles.count == 16)
    }
}
