namespace ElectisSpace.Core.Formats;

/// <summary>
/// Every cell the server writes into a CSV passes through here. A cell a spreadsheet would read as a formula (OWASP
/// "CSV injection": starting with =, +, -, @, tab or carriage return) gets a leading single quote, so Excel and
/// LibreOffice show the text instead of running it. The CSV writer then quotes the cell as needed.
/// </summary>
public static class CsvCells
{
    public static string Safe(string? value) =>
        value is { Length: > 0 } v && v[0] is '=' or '+' or '-' or '@' or '\t' or '\r' ? "'" + v : value ?? "";
}
