using System.Globalization;

namespace SshHsmCa.Ssh.Transparency;

/// <summary>
/// A C2SP tlog-checkpoint: <c>origin\n size\n base64(root)\n</c> and optional extension lines, the
/// text a signed note signs (<see cref="SignedNote"/>). Parsed strictly: a decimal size without
/// leading zeros, a 32-byte root in standard base64, no empty line, a final newline.
/// </summary>
/// <param name="Origin">The log's name, unique to it (for example "ssh-hsm-ca.example.com/log").</param>
/// <param name="Size">The number of leaves.</param>
/// <param name="Root">The tree hash.</param>
public sealed record Checkpoint(string Origin, long Size, byte[] Root)
{
    /// <summary>The longest checkpoint text read.</summary>
    public const int MaxLength = 8 * 1024;

    /// <summary>The checkpoint's text.</summary>
    public string ToText() => string.Create(CultureInfo.InvariantCulture, $"{Origin}\n{Size}\n{Convert.ToBase64String(Root)}\n");

    /// <summary>Parses a checkpoint's text (the note text, before its signatures).</summary>
    public static Checkpoint Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > MaxLength || !text.EndsWith('\n'))
        {
            throw new SshFormatException("checkpoint", "not a checkpoint text (too long, or no final newline)");
        }

        var lines = text[..^1].Split('\n');
        if (lines.Length < 3 || lines.Any(l => l.Length == 0))
        {
            throw new SshFormatException("checkpoint", "an origin, a size and a root hash are needed, each on its own non-empty line");
        }

        if (lines[0].Any(c => char.IsControl(c)))
        {
            throw new SshFormatException("checkpoint.origin", "contains a control character");
        }

        if (!long.TryParse(lines[1], NumberStyles.None, CultureInfo.InvariantCulture, out var size) || (lines[1].Length > 1 && lines[1][0] == '0'))
        {
            throw new SshFormatException("checkpoint.size", $"'{lines[1]}' is not a decimal size");
        }

        byte[] root;
        try
        {
            root = Convert.FromBase64String(lines[2]);
        }
        catch (FormatException)
        {
            throw new SshFormatException("checkpoint.root", "not base64");
        }

        return root.Length == MerkleTree.HashLength && Convert.ToBase64String(root) == lines[2]
            ? new Checkpoint(lines[0], size, root)
            : throw new SshFormatException("checkpoint.root", "not a 32-byte hash in canonical base64");
    }
}
