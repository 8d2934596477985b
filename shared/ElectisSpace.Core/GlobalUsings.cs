global using System.Text.Json;
global using System.Text.Json.Nodes;
global using Dapper;
global using Microsoft.AspNetCore.Http;
global using Npgsql;
global using ElectisSpace.Core.Common;
global using ElectisSpace.Core.Audit;
global using ElectisSpace.Core.Database;
