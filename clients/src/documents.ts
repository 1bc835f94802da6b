// The documents the frontends send, typed by graphql-codegen from the server's schema.
import { graphql } from "./gql/index.js";

export const ArticlePage = graphql(`
  query ArticlePage($slug: String!) {
    article(slug: $slug) {
      id
      slug
      headline
      standfirst
      publishedAt
      section { id name path breadcrumbs { name path } }
      leadImage { id url altText credit { creditLine } }
      authors { id name }
      tags { id name }
      blocks {
        __typename
        ... on ParagraphBlock { html }
        ... on HeadingBlock { level text }
        ... on ImageBlock { url caption image { id } }
      }
      comments(first: 10) {
        totalCount
        nodes { id authorName bodyHtml replies(first: 5) { nodes { id authorName bodyHtml } } }
      }
    }
  }
`);

export const Newest = graphql(`
  query Newest($first: Int!, $after: String) {
    articles(first: $first, after: $after) {
      pageInfo { hasNextPage endCursor }
      edges { cursor node { id slug headline publishedAt } }
    }
  }
`);

/** Asked anonymously, `revisions` is refused: the spec's null rules make `article` null. */
export const WithRevisions = graphql(`
  query WithRevisions($slug: String!) {
    article(slug: $slug) { id headline revisions { number } }
  }
`);

export const SectionId = graphql(`
  query SectionId($slug: String!) {
    section(slug: $slug) { id }
  }
`);

export const CreateDraft = graphql(`
  mutation CreateDraft($input: CreateArticleInput!) {
    createArticle(input: $input) { id slug status }
  }
`);

export const Publish = graphql(`
  mutation Publish($id: ID!) {
    publishArticle(id: $id) { id slug status publishedAt }
  }
`);

export const CreateSection = graphql(`
  mutation CreateSection($input: CreateSectionInput!) {
    createSection(input: $input) { id }
  }
`);

export const Published = graphql(`
  subscription Published {
    articlePublished { id headline }
  }
`);
