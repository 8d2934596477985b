using System.Security.Cryptography;
using ElectisSpace.Core.Configuration;

namespace ElectisSpace.Core.Settings;

/// <summary>
/// AES-256-GCM for secrets stored in the database (the AIMS password). The organization id is authenticated
/// data, so a ciphertext copied into another organization's row does not decrypt.
/// Format: "v1:" + base64(nonce[12] | tag[16] | ciphertext).
/// </summary>
public sealed class SecretBox(ServerSettings settings)
{
    private const string Prefix = "v1:";

    public string Encrypt(string plaintext, Guid orgId)
    {
        var plain = System.Text.Encoding.UTF8.GetBytes(plaintext);
        var output = new byte[12 + 16 + plain.Length];
        var nonce = output.AsSpan(0, 12);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(settings.SettingsEncryptionKey, 16);
        aes.Encrypt(nonce, plain, output.AsSpan(28), output.AsSpan(12, 16), orgId.ToByteArray());
        return Prefix + Convert.ToBase64String(output);
    }

    public string Decrypt(string stored, Guid orgId)
    {
        if (!stored.StartsWith(Prefix, StringComparison.Ordinal)) throw new CryptographicException("Unknown secret format.");
        var data = Convert.FromBase64String(stored[Prefix.Length..]);
        var plain = new byte[data.Length - 28];
        using var aes = new AesGcm(settings.SettingsEncryptionKey, 16);
        aes.Decrypt(data.AsSpan(0, 12), data.AsSpan(28), data.AsSpan(12, 16), plain, orgId.ToByteArray());
        return System.Text.Encoding.UTF8.GetString(plain);
    }
}
