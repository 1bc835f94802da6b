// GraphiQL on this server's own endpoints: queries and mutations over POST /graphql,
// subscriptions over WebSocket at /graphql/ws (graphql-transport-ws).
(function () {
  var here = window.location;
  var socket = (here.protocol === "https:" ? "wss://" : "ws://") + here.host + "/graphql/ws";
  var fetcher = GraphiQL.createFetcher({ url: here.origin + "/graphql", subscriptionUrl: socket });
  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(React.createElement(GraphiQL, { fetcher: fetcher }));
})();
