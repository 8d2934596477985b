using System.Security.Cryptography;
using Microsoft.AspNetCore.Identity;

namespace ElectisSpace.Core.Auth;

/// <summary>ASP.NET Core Identity's PBKDF2 hasher plus the password policy. Passwords are never logged.</summary>
public sealed class Passwords
{
    private static readonly object HashUser = new();

    /// <summary>
    /// The hash's strength, pinned rather than left to the library default: Identity v3 format, PBKDF2 with HMAC-SHA512,
    /// 100,000 iterations (the .NET 10 default). Verification is pure CPU and takes no lock, so parallel logins use every core.
    /// </summary>
    public const int Iterations = 100_000;
    private static readonly PasswordHasher<object> Hasher = new(Microsoft.Extensions.Options.Options.Create(new PasswordHasherOptions
    {
        CompatibilityMode = PasswordHasherCompatibilityMode.IdentityV3,
        IterationCount = Iterations,
    }));
    private readonly PasswordHasher<object> _hasher = Hasher;

    public string Hash(string password) => _hasher.HashPassword(HashUser, password);

    public bool Verify(string hash, string password) =>
        _hasher.VerifyHashedPassword(HashUser, hash, password) != PasswordVerificationResult.Failed;

    /// <summary>A hash of a random password, verified on unknown emails so they take as long as wrong passwords.</summary>
    public string DummyHash { get; } = Hasher.HashPassword(HashUser, Guid.NewGuid().ToString());

    /// <summary>The policy below as a pattern and in words, for the API description.</summary>
    public const string PolicyPattern = @"^(?=.*[a-z])(?=.*[A-Z])(?=.*[0-9]).{8,128}$";
    public const string PolicyText = "8 to 128 characters with an upper-case letter, a lower-case letter and a digit.";

    /// <summary>At least 8 characters with an upper-case letter, a lower-case letter and a digit.</summary>
    public static IEnumerable<string> PolicyViolations(string password)
    {
        if (password.Length < 8) yield return "at least 8 characters";
        if (password.Length > 128) yield return "at most 128 characters";
        if (!password.Any(char.IsUpper)) yield return "an upper-case letter";
        if (!password.Any(char.IsLower)) yield return "a lower-case letter";
        if (!password.Any(char.IsDigit)) yield return "a digit";
    }

    public static void CheckPolicy(string field, string password)
    {
        var missing = PolicyViolations(password).ToList();
        if (missing.Count > 0)
            throw ApiException.Validation("The password is too weak.",
                new FieldError(field, "The password needs " + string.Join(", ", missing) + "."));
    }

    /// <summary>A temporary password that satisfies the policy (shown once to the admin who created the user).</summary>
    public static string GenerateTemporary()
    {
        const string upper = "ABCDEFGHJKLMNPQRSTUVWXYZ", lower = "abcdefghijkmnpqrstuvwxyz", digits = "23456789";
        const string all = upper + lower + digits;
        var chars = new char[16];
        chars[0] = upper[RandomNumberGenerator.GetInt32(upper.Length)];
        chars[1] = lower[RandomNumberGenerator.GetInt32(lower.Length)];
        chars[2] = digits[RandomNumberGenerator.GetInt32(digits.Length)];
        for (var i = 3; i < chars.Length; i++) chars[i] = all[RandomNumberGenerator.GetInt32(all.Length)];
        RandomNumberGenerator.Shuffle(chars.AsSpan());
        return new string(chars);
    }
}
