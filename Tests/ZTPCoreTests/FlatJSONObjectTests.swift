import Foundation
import Testing
@testable import ZTPCore

/// The token's JSON reader must accept exactly RFC 8259 objects, so that what the server refuses
/// does not depend on which parser happens to be in use.
@Suite("Token JSON reader")
struct FlatJSONObjectTests {
    static func read(_ text: String) -> FlatJSONObject? { FlatJSONObject(Array(text.utf8)) }

    @Test("members keep their types; nested values, booleans and null are .other")
    func types() throws {
        let object = try #require(Self.read(#" { "s" : "x" , "n":-1.5e2, "i":0, "t":true, "f":false, "z":null, "a":[1,[2,{}]], "o":{"k":[]} } "#))
        #expect(object["s"] == .string("x"))
        #expect(object["n"] == .number(-150))
        #expect(object["i"] == .number(0))
        for name in ["t", "f", "z", "a", "o"] { #expect(object[name] == .other, "\(name)") }
        #expect(object.number("s") == nil && object.string("n") == nil && object["missing"] == nil)
        #expect(Self.read("{}")?.members.isEmpty == true)
    }

    @Test("escapes resolve, surrogate pairs join, raw UTF-8 passes through")
    func escapes() {
        let object = Self.read(#"{"e":"a\"b\\c\/d\b\f\n\r\t\u0041\u00e9\ud83d\ude00","u":"é😀"}"#)
        #expect(object?.string("e") == "a\"b\\c/d\u{08}\u{0C}\n\r\tAé😀")
        #expect(object?.string("u") == "é😀")
        // An escaped name is the same name.
        #expect(Self.read(#"{"\u0061lg":"HS256"}"#)?.string("alg") == "HS256")
    }

    @Test("not RFC 8259, or not an object, is refused",
          arguments: [
            "", " ", "[]", "\"x\"", "1", "null", "{", "}", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{,}", "{\"a\":1 \"b\":2}",
            "{'a':1}", "{a:1}", "{\"a\":1}x", "{\"a\":1}{}", "{\"a\":01}", "{\"a\":1.}", "{\"a\":.5}", "{\"a\":+1}",
            "{\"a\":1e}", "{\"a\":-}", "{\"a\":0x10}", "{\"a\":NaN}", "{\"a\":Infinity}", "{\"a\":tru}", "{\"a\":nul}",
            "{\"a\":\"\\x\"}", "{\"a\":\"\\u12\"}", "{\"a\":\"\\ud800\"}", "{\"a\":\"\\udc00\"}", "{\"a\":\"\\ud800\\u0041\"}",
            "{\"a\":\"tab\there\"}", "{\"a\":\"unterminated}", "{\"a\":[1,]}", "{\"a\":[1 2]}", "{\"a\":{\"b\"}}",
            "{\"a\":1,\"a\":2}", "{\"alg\":\"HS256\",\"\\u0061lg\":\"none\"}", "\u{0B}{}", "{\"a\":1}\u{0C}",
          ])
    func refused(text: String) {
        #expect(Self.read(text) == nil, "\(text.debugDescription)")
    }

    @Test("bytes that are not UTF-8 are refused, even inside a string")
    func notUTF8() {
        #expect(FlatJSONObject(Array(#"{"a":""#.utf8) + [0xC3, 0x28] + Array(#""}"#.utf8)) == nil)
        #expect(FlatJSONObject([0xEF, 0xBB, 0xBF] + Array("{}".utf8)) == nil)
    }

    @Test("numbers beyond Double are not numbers a claim can use")
    func hugeNumbers() {
        let object = Self.read(#"{"big":1e999,"small":1e-999}"#)
        #expect(object?.number("big") == nil)
        #expect(object?.number("small") == 0)
    }

    @Test("nesting is followed to a fixed depth, then refused")
    func depth() {
        let allowed = FlatJSONObject.maxDepth - 1
        #expect(Self.read("{\"a\":" + String(repeating: "[", count: allowed) + String(repeating: "]", count: allowed) + "}") != nil)
        let deep = FlatJSONObject.maxDepth
        #expect(Self.read("{\"a\":" + String(repeating: "[", count: deep) + String(repeating: "]", count: deep) + "}") == nil)
        #expect(Self.read("{\"a\":" + String(repeating: "[", count: 100_000)) == nil)
    }

    /// Foundation also accepts a trailing comma (`{"a":1,}`), which RFC 8259 does not; we refuse it.
    @Test("agrees with Foundation's JSONSerialization on what is an object")
    func agreesWithFoundation() throws {
        let samples = [
            #"{"sub":"alice","role":"user","iat":1767225600,"exp":1767229200,"jti":"0123"}"#,
            #"{"a":[{"b":[null,true,false,-0,0.25e+3,"\u0000"]}]}"#, #"{"a":"\uD834\uDD1E"}"#,
            #"{"a":01}"#, #"{"a":"\q"}"#, "{\"a\":\"\u{01}\"}", #"{"a" 1}"#, #"[{"a":1}]"#,
        ]
        for sample in samples {
            let foundation = (try? JSONSerialization.jsonObject(with: Data(sample.utf8))) as? [String: Any]
            #expect((Self.read(sample) != nil) == (foundation != nil), "\(sample)")
        }
    }
}
