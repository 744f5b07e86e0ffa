// amlguard fleet store: the custom table, a Direct data collection rule (DCR) with the stream
// declaration and a transformation, the role the scanner needs to send, and the fleet workbook.
//
//   az deployment group create -g <rg of the workspace> -f main.bicep \
//     -p workspaceName=<workspace> scannerPrincipalId=<object id of the scanner's identity>
//
// The output 'ingestionUrl' is what 'amlguard check --output log-analytics:URL' takes.
// azuredeploy.json is the same template as ARM JSON (written by hand to match this file;
// tests/export/test_setup_template.py checks they agree with each other and with amlguard's rows).

@description('Name of the existing Log Analytics workspace (in this resource group) that gets the table.')
param workspaceName string

@description('Region of the data collection rule: the workspace\'s region.')
param location string = resourceGroup().location

@description('Name of the data collection rule.')
param dcrName string = 'dcr-amlguard-findings'

@description('Object id of the identity amlguard runs as (pipeline service principal or managed identity); empty to skip the role assignment.')
param scannerPrincipalId string = ''

@description('Type of that identity.')
@allowed([
  'ServicePrincipal'
  'User'
  'Group'
])
param scannerPrincipalType string = 'ServicePrincipal'

@description('Days the findings stay queryable (interactive retention).')
@minValue(4)
@maxValue(730)
param retentionInDays int = 90

@description('Days the findings are kept in total (long-term retention included).')
@minValue(4)
@maxValue(4383)
param totalRetentionInDays int = 365

@description('Also deploy the fleet overview workbook.')
param deployWorkbook bool = true

var tableName = 'AmlGuardFindings_CL'
var streamName = 'Custom-AmlGuardFindings'
// Monitoring Metrics Publisher: lets an identity send data to a DCR.
var publisherRoleId = '3913510d-42f4-4e42-8a64-420c390055eb'

// The rows amlguard sends (amlguard/export/rows.py COLUMNS): one per finding, one per scan.
var streamColumns = [
  { name: 'TimeGenerated', type: 'datetime' }
  { name: 'RowType', type: 'string' }
  { name: 'ScanId', type: 'string' }
  { name: 'RowNumber', type: 'int' }
  { name: 'ScanComplete', type: 'boolean' }
  { name: 'GapCauses', type: 'dynamic' }
  { name: 'Scope', type: 'string' }
  { name: 'SourceKind', type: 'string' }
  { name: 'AadTenantId', type: 'string' }
  { name: 'SubscriptionId', type: 'string' }
  { name: 'ResourceGroup', type: 'string' }
  { name: 'RuleId', type: 'string' }
  { name: 'RuleName', type: 'string' }
  { name: 'Severity', type: 'string' }
  { name: 'Status', type: 'string' }
  { name: 'ResourceId', type: 'string' }
  { name: 'ResourceType', type: 'string' }
  { name: 'InstanceId', type: 'string' }
  { name: 'InstanceName', type: 'string' }
  { name: 'Message', type: 'string' }
  { name: 'Expected', type: 'dynamic' }
  { name: 'Actual', type: 'dynamic' }
  { name: 'Path', type: 'string' }
  { name: 'Remediation', type: 'string' }
  { name: 'Suppression', type: 'dynamic' }
  { name: 'BaselineState', type: 'string' }
  { name: 'HistoryState', type: 'string' }
  { name: 'FirstSeen', type: 'datetime' }
  { name: 'Counts', type: 'dynamic' }
  { name: 'ToolVersion', type: 'string' }
  { name: 'RulePackVersion', type: 'string' }
  { name: 'RulePackHash', type: 'string' }
]

// Tables spell the datetime type 'dateTime'.
var tableColumns = [for c in streamColumns: {
  name: c.name
  type: c.type == 'datetime' ? 'dateTime' : c.type
}]

resource workspace 'Microsoft.OperationalInsights/workspaces@2022-10-01' existing = {
  name: workspaceName
}

resource table 'Microsoft.OperationalInsights/workspaces/tables@2022-10-01' = {
  parent: workspace
  name: tableName
  properties: {
    plan: 'Analytics'
    retentionInDays: retentionInDays
    totalRetentionInDays: totalRetentionInDays
    schema: {
      name: tableName
      description: 'amlguard findings: one row per finding (RowType finding) and per scan (RowType scan).'
      columns: tableColumns
    }
  }
}

resource dcr 'Microsoft.Insights/dataCollectionRules@2023-03-11' = {
  name: dcrName
  location: location
  kind: 'Direct'
  properties: {
    description: 'amlguard findings to ${tableName}'
    streamDeclarations: {
      'Custom-AmlGuardFindings': {
        columns: streamColumns
      }
    }
    destinations: {
      logAnalytics: [
        {
          name: 'workspace'
          workspaceResourceId: workspace.id
        }
      ]
    }
    dataFlows: [
      {
        streams: [
          streamName
        ]
        destinations: [
          'workspace'
        ]
        // A row without a time (never sent by amlguard) gets the ingestion time.
        transformKql: 'source | extend TimeGenerated = iif(isnull(TimeGenerated), now(), TimeGenerated)'
        outputStream: 'Custom-${tableName}'
      }
    ]
  }
  dependsOn: [
    table
  ]
}

resource publisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(scannerPrincipalId)) {
  scope: dcr
  name: guid(dcr.id, scannerPrincipalId, publisherRoleId)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', publisherRoleId)
    principalId: scannerPrincipalId
    principalType: scannerPrincipalType
  }
}

resource workbook 'Microsoft.Insights/workbooks@2022-04-01' = if (deployWorkbook) {
  name: guid(resourceGroup().id, 'amlguard-fleet-workbook')
  location: location
  kind: 'shared'
  properties: {
    displayName: 'amlguard: fleet overview'
    category: 'workbook'
    sourceId: workspace.id
    version: 'Notebook/1.0'
    serializedData: loadTextContent('workbook.json')
  }
}

@description('The data collection rule\'s immutable id.')
output immutableId string = dcr.properties.immutableId

@description('What amlguard check --output log-analytics:URL takes.')
output ingestionUrl string = '${dcr.properties.endpoints.logsIngestion}/dataCollectionRules/${dcr.properties.immutableId}/streams/${streamName}'
