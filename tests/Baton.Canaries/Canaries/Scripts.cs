namespace Baton.Canaries.Canaries;

/// <summary>The INLINE scripts that turn a value (<c>$.v</c>) into the shapes a leak could take.</summary>
public static class Scripts
{
    public const string Raw = "(function(){ return $.v; })()";
    public const string Sliced = "(function(){ return $.v.slice(2, -2); })()";
    public const string Upper = "(function(){ return $.v.toUpperCase(); })()";
    public const string Reversed = "(function(){ return $.v.split('').reverse().join(''); })()";
    public const string Concatenated = "(function(){ return 'token=' + $.v + '; end'; })()";
    public const string UriComponent = "(function(){ return encodeURIComponent($.v); })()";
    public const string Length = "(function(){ return $.v.length; })()";
    public const string Stringified = "(function(){ return JSON.stringify($.v); })()";

    /// <summary>Base64 of the UTF-8 bytes, written out in JavaScript (Jint may have no btoa).</summary>
    public const string Base64 = """
        (function(){
          var s = $.v, bytes = [];
          for (var i = 0; i < s.length; i++) {
            var c = s.codePointAt(i);
            if (c > 0xffff) i++;
            if (c < 0x80) bytes.push(c);
            else if (c < 0x800) bytes.push(0xc0 | (c >> 6), 0x80 | (c & 63));
            else if (c < 0x10000) bytes.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
            else bytes.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
          }
          var t = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/', out = '';
          for (var j = 0; j < bytes.length; j += 3) {
            var b0 = bytes[j], b1 = j + 1 < bytes.length ? bytes[j + 1] : 0, b2 = j + 2 < bytes.length ? bytes[j + 2] : 0;
            out += t.charAt(b0 >> 2) + t.charAt(((b0 & 3) << 4) | (b1 >> 4))
                 + (j + 1 < bytes.length ? t.charAt(((b1 & 15) << 2) | (b2 >> 6)) : '=')
                 + (j + 2 < bytes.length ? t.charAt(b2 & 63) : '=');
          }
          return out;
        })()
        """;

    /// <summary>(reference name, script) of every transformation applied to a scalar secret.</summary>
    public static IReadOnlyList<(string Reference, string Script)> Transformations { get; } =
    [
        ("raw", Raw), ("base64", Base64), ("sliced", Sliced), ("upper", Upper), ("reversed", Reversed),
        ("concat", Concatenated), ("uri", UriComponent), ("length", Length),
    ];
}
