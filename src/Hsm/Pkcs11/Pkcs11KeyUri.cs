using System.Globalization;
using System.Text;

namespace SshHsmCa.Hsm.Pkcs11;

/// <summary>
/// The parts of an RFC 7512 <c>pkcs11:</c> URI that select a CA key: token (label) or serial,
/// object (label) and/or id, and the module path. Percent-encoding is decoded; unknown path
/// attributes are refused (RFC 7512 §2.3 lets a consumer refuse what it does not understand,
/// and a typo must not select another key). A PIN in the URI (<c>pin-value</c>) is refused.
/// </summary>
public sealed class Pkcs11KeyUri
{
    private Pkcs11KeyUri(string text)
    {
        Text = text;
    }

    /// <summary>The URI as given.</summary>
    public string Text { get; }

    /// <summary><c>token=</c>: the token label.</summary>
    public string? TokenLabel { get; private init; }

    /// <summary><c>serial=</c>: the token serial number.</summary>
    public string? TokenSerial { get; private init; }

    /// <summary><c>object=</c>: the key label (CKA_LABEL).</summary>
    public string? ObjectLabel { get; private init; }

    /// <summary><c>id=</c>: the key id (CKA_ID), percent-decoded bytes.</summary>
    public byte[]? ObjectId { get; private init; }

    /// <summary><c>module-path=</c> query attribute: the PKCS#11 module to load.</summary>
    public string? ModulePath { get; private init; }

    /// <summary><c>type=</c>: if present must be <c>private</c> (or <c>public</c>/<c>cert</c>, refused for a CA key).</summary>
    public string? ObjectType { get; private init; }

    /// <summary>Parses a URI.</summary>
    /// <exception cref="HsmException">Kind <see cref="HsmErrorKind.Configuration"/>, naming the attribute.</exception>
    public static Pkcs11KeyUri Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!text.StartsWith("pkcs11:", StringComparison.Ordinal))
        {
            throw Invalid(text, "must start with 'pkcs11:'");
        }

        var rest = text["pkcs11:".Length..];
        var question = rest.IndexOf('?', StringComparison.Ordinal);
        var path = question < 0 ? rest : rest[..question];
        var query = question < 0 ? string.Empty : rest[(question + 1)..];

        string? token = null, serial = null, label = null, modulePath = null, type = null;
        byte[]? id = null;
        foreach (var (name, value) in Attributes(text, path, ';'))
        {
            switch (name)
            {
                case "token":
                    token = Once(text, name, token, Utf8(text, name, value));
                    break;
                case "serial":
                    serial = Once(text, name, serial, Utf8(text, name, value));
                    break;
                case "object":
                    label = Once(text, name, label, Utf8(text, name, value));
                    break;
                case "id":
                    if (id is not null)
                    {
                        throw Invalid(text, "attribute 'id' is given twice");
                    }

                    id = value;
                    break;
                case "type":
                    type = Once(text, name, type, Utf8(text, name, value));
                    if (type != "private")
                    {
                        throw Invalid(text, $"type={type}: a CA key URI names a private key");
                    }

                    break;
                case "manufacturer" or "model" or "library-manufacturer" or "library-description" or "library-version" or "slot-id" or "slot-description" or "slot-manufacturer":
                    // Recognised but not used to select: harmless.
                    break;
                default:
                    throw Invalid(text, $"unknown path attribute '{name}'");
            }
        }

        foreach (var (name, value) in Attributes(text, query, '&'))
        {
            switch (name)
            {
                case "module-path":
                    modulePath = Once(text, name, modulePath, Utf8(text, name, value));
                    break;
                case "pin-value":
                    throw Invalid(text, "pin-value is not accepted: give the PIN through a credential or a root-only file");
                case "pin-source" or "module-name":
                    throw Invalid(text, $"{name} is not supported: configure the PIN source and module path separately");
                default:
                    throw Invalid(text, $"unknown query attribute '{name}'");
            }
        }

        if (token is null && serial is null)
        {
            throw Invalid(text, "needs token= (label) or serial= to find the token");
        }

        if (label is null && id is null)
        {
            throw Invalid(text, "needs object= (label) or id= to find the key");
        }

        return new Pkcs11KeyUri(text)
        {
            TokenLabel = token,
            TokenSerial = serial,
            ObjectLabel = label,
            ObjectId = id,
            ModulePath = modulePath,
            ObjectType = type,
        };
    }

    /// <inheritdoc />
    public override string ToString() => Text;

    /// <summary>A description for logs: the selecting attributes only.</summary>
    public string Describe()
    {
        var parts = new List<string>();
        if (TokenLabel is not null)
        {
            parts.Add($"token={TokenLabel}");
        }

        if (TokenSerial is not null)
        {
            parts.Add($"serial={TokenSerial}");
        }

        if (ObjectLabel is not null)
        {
            parts.Add($"object={ObjectLabel}");
        }

        if (ObjectId is not null)
        {
            parts.Add($"id={Convert.ToHexString(ObjectId).ToLowerInvariant()}");
        }

        return "pkcs11 " + string.Join(' ', parts);
    }

    private static IEnumerable<(string Name, byte[] Value)> Attributes(string uri, string part, char separator)
    {
        if (part.Length == 0)
        {
            yield break;
        }

        foreach (var attribute in part.Split(separator))
        {
            var equals = attribute.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw Invalid(uri, $"attribute '{attribute}' is not name=value");
            }

            yield return (attribute[..equals], PercentDecode(uri, attribute[(equals + 1)..]));
        }
    }

    private static byte[] PercentDecode(string uri, string value)
    {
        var bytes = new List<byte>(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] == '%')
            {
                if (i + 2 >= value.Length || !byte.TryParse(value.AsSpan(i + 1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var b))
                {
                    throw Invalid(uri, $"bad percent-encoding in '{value}'");
                }

                bytes.Add(b);
                i += 2;
            }
            else
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(value[i].ToString()));
            }
        }

        return [.. bytes];
    }

    private static string Utf8(string uri, string name, byte[] value)
    {
        try
        {
            return new UTF8Encoding(false, true).GetString(value);
        }
        catch (DecoderFallbackException)
        {
            throw Invalid(uri, $"attribute '{name}' is not UTF-8");
        }
    }

    private static string Once(string uri, string name, string? existing, string value) =>
        existing is null ? value : throw Invalid(uri, $"attribute '{name}' is given twice");

    private static HsmException Invalid(string uri, string problem)
    {
        // Never echo a URI that might carry a PIN.
        var shown = uri.Contains("pin-value", StringComparison.OrdinalIgnoreCase) ? "(URI withheld)" : uri;
        return new HsmException(HsmErrorKind.Configuration, $"PKCS#11 URI {shown}: {problem}");
    }
}
