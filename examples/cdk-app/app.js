// A small CDK app (JavaScript, so `cdk synth` needs only node): a Python function behind
// a REST API (RestApi/Resource/Method) and an HTTP API (ApiGatewayV2), with a table.
// `npx cdk synth` writes cdk.out/, which `serverlite up --cdk cdk.out` runs.
const cdk = require("aws-cdk-lib");
const lambda = require("aws-cdk-lib/aws-lambda");
const apigw = require("aws-cdk-lib/aws-apigateway");
const apigwv2 = require("aws-cdk-lib/aws-apigatewayv2");
const integrations = require("aws-cdk-lib/aws-apigatewayv2-integrations");
const dynamodb = require("aws-cdk-lib/aws-dynamodb");

class ItemsStack extends cdk.Stack {
  constructor(scope, id, props) {
    super(scope, id, props);
    const table = new dynamodb.Table(this, "Items", {
      partitionKey: { name: "id", type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    });
    const fn = new lambda.Function(this, "ItemsFunction", {
      runtime: lambda.Runtime.PYTHON_3_12,
      handler: "index.handler",
      code: lambda.Code.fromAsset("lambda"),
      environment: { TABLE_NAME: table.tableName },
    });
    table.grantReadWriteData(fn);

    const rest = new apigw.RestApi(this, "ItemsRestApi", { deployOptions: { stageName: "prod" } });
    const items = rest.root.addResource("items");
    items.addMethod("GET", new apigw.LambdaIntegration(fn));
    items.addMethod("POST", new apigw.LambdaIntegration(fn));
    items.addResource("{id}").addMethod("GET", new apigw.LambdaIntegration(fn));

    const http = new apigwv2.HttpApi(this, "ItemsHttpApi");
    http.addRoutes({
      path: "/items/{id}",
      methods: [apigwv2.HttpMethod.GET],
      integration: new integrations.HttpLambdaIntegration("ItemsHttp", fn),
    });
  }
}

const app = new cdk.App();
new ItemsStack(app, "CdkItemsStack");
