using System.Management.Automation;
using System.Net;
using System.Security;

namespace LonghornBackup.Hosting;

/// <summary>
/// Lets a SecureString parameter also take a plain string (as AWS Tools' -SecretKey does), so both
/// -SecretKey $secure and -SecretKey (Get-Secret name -AsPlainText) work.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
internal sealed class SecureStringArgumentAttribute : ArgumentTransformationAttribute
{
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        object value = inputData is PSObject wrapped ? wrapped.BaseObject : inputData;
        if (value is not string text) return inputData;
        var secure = new SecureString();
        foreach (char c in text) secure.AppendChar(c);
        secure.MakeReadOnly();
        return secure;
    }

    /// <summary>The plain text, for handing to the credential store; never written anywhere by the module.</summary>
    public static string Plain(SecureString secure) => new NetworkCredential(string.Empty, secure).Password;
}
