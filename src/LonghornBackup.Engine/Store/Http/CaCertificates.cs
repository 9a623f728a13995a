using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using LonghornBackup.Engine.Errors;

namespace LonghornBackup.Engine.Store.Http;

/// <summary>
/// Extra trusted CA certificates of a network store (a private CA): loading a PEM bundle with errors that say what
/// to fix, and the server-certificate check that accepts what the system trusts or what chains to one of them, as
/// Longhorn adds AWS_CERT / AZBLOB_CERT to the system roots.
/// </summary>
internal static class CaCertificates
{
    public static X509Certificate2Collection LoadFile(string path, string source)
    {
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new LonghornBackupException(ErrorIds.InvalidTargetSetting, ErrorKind.InvalidArgument,
                $"The CA certificate bundle '{path}' (from {source}) cannot be read: {e.Message}", path,
                "Give the path of a PEM file holding the store's CA certificate(s).", e);
        }
        return LoadPem(text, $"'{path}' ({source})");
    }

    public static X509Certificate2Collection LoadPem(string pem, string source)
    {
        var roots = new X509Certificate2Collection();
        try { roots.ImportFromPem(pem); }
        catch (CryptographicException e)
        {
            throw new LonghornBackupException(ErrorIds.InvalidTargetSetting, ErrorKind.InvalidArgument,
                $"The CA certificate bundle from {source} is not valid PEM: {e.Message}", source,
                "Give a PEM file with one or more -----BEGIN CERTIFICATE----- blocks.", e);
        }
        if (roots.Count == 0)
            throw new LonghornBackupException(ErrorIds.InvalidTargetSetting, ErrorKind.InvalidArgument,
                $"The CA certificate bundle from {source} holds no certificate.", source,
                "Give a PEM file with one or more -----BEGIN CERTIFICATE----- blocks.");
        return roots;
    }
#if NET
    public static bool Trusted(X509Certificate? certificate, X509Chain? systemChain, SslPolicyErrors errors, X509Certificate2Collection roots)
    {
        if (errors == SslPolicyErrors.None) return true;
        if (errors != SslPolicyErrors.RemoteCertificateChainErrors || certificate is null) return false;   // a name mismatch stays fatal
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (systemChain is not null)
            foreach (var element in systemChain.ChainElements) chain.ChainPolicy.ExtraStore.Add(element.Certificate);
        return chain.Build(certificate as X509Certificate2 ?? new X509Certificate2(certificate));
    }
#endif
}
